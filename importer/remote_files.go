package importer

import (
	"context"
	"io"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/pdbulk/pdbulk/jobs"
	"github.com/pdbulk/pdbulk/pipedrive"
)

// ---- files ----

// filesRemote uploads files from the job's files root, and creates and links remote
// (Google Drive) files. The payload's "file" is the path from the sheet, relative to the
// root; it is opened inside the root only (jobs.OpenFile) and streamed, never held.
type filesRemote struct {
	c   *pipedrive.Client
	job *jobs.Job

	once   sync.Once
	stats  *UploadStats
	slots  chan struct{} // one per upload under way: options.upload_concurrency
	buffer int
	index  attachedIndex
}

// start sets up the uploads of run r, once: their own concurrency, the counters, and the
// totals of the progress display.
func (r *filesRemote) start(run *run) {
	r.once.Do(func() {
		u := r.job.Options.Uploads.WithDefaults()
		r.slots = make(chan struct{}, u.Concurrency)
		r.buffer = u.Buffer
		r.stats = &run.stats.Uploads
		if err := countUploads(r.job, run.inputPath(), run.sheetOptions(), r.stats); err != nil {
			run.logf("files: the total of the uploads is unknown: %v", err)
		}
	})
}

func (r *filesRemote) create(ctx context.Context, p map[string]any) (string, error) {
	var f pipedrive.File
	var err error
	switch r.job.FilesKindOf() {
	case jobs.FilesRemoteLink:
		in := pipedrive.RemoteLink{RemoteID: idText(p["remote_id"]), RemoteLocation: remoteLocation(p)}
		in.ItemType, _ = p["item_type"].(string)
		in.ItemID, _ = intOf(p["item_id"])
		f, _, err = r.c.LinkRemoteFile(ctx, in)
	case jobs.FilesRemoteCreate:
		in := pipedrive.RemoteFile{RemoteLocation: remoteLocation(p)}
		in.FileType, _ = p["file_type"].(string)
		in.Title, _ = p["title"].(string)
		in.ItemType, _ = p["item_type"].(string)
		in.ItemID, _ = intOf(p["item_id"])
		f, _, err = r.c.CreateRemoteFile(ctx, in)
	default:
		f, err = r.upload(ctx, p)
	}
	if err != nil {
		return "", err
	}
	r.noteUploaded(f)
	return strconv.Itoa(f.ID), nil
}

func remoteLocation(p map[string]any) string {
	if s, _ := p["remote_location"].(string); s != "" {
		return s
	}
	return "googledrive"
}

// upload sends one file, once a slot of the job's upload concurrency is free. Each upload
// reads its file through one buffer of options.upload_buffer bytes into a streamed body:
// the bytes of uploads in memory are bounded by upload_concurrency × upload_buffer.
func (r *filesRemote) upload(ctx context.Context, p map[string]any) (pipedrive.File, error) {
	if r.slots == nil { // not started (a caller outside a run)
		r.slots = make(chan struct{}, jobs.DefaultUploadConcurrency)
	}
	select {
	case r.slots <- struct{}{}:
	case <-ctx.Done():
		return pipedrive.File{}, ctx.Err()
	}
	defer func() { <-r.slots }()
	rel, _ := p["file"].(string)
	up := pipedrive.Upload{
		Name:   uploadName(p),
		Open:   func() (io.ReadCloser, error) { return r.job.OpenFile(rel) },
		Buffer: r.buffer,
	}
	up.DealID, _ = intOf(p["deal_id"])
	up.PersonID, _ = intOf(p["person_id"])
	up.OrgID, _ = intOf(p["org_id"])
	up.ProductID, _ = intOf(p["product_id"])
	up.ActivityID, _ = intOf(p["activity_id"])
	up.LeadID, _ = p["lead_id"].(string)
	if r.stats != nil {
		r.stats.Uploading.Add(1)
		defer r.stats.Uploading.Add(-1)
		up.Progress = func(n int64) { r.stats.BytesSent.Add(n) }
	}
	f, _, err := r.c.UploadFile(ctx, up)
	if err == nil && r.stats != nil {
		r.stats.Uploaded.Add(1)
	}
	return f, err
}

func (r *filesRemote) update(ctx context.Context, id string, p map[string]any) error {
	n, err := intID(id)
	if err != nil {
		return err
	}
	var in pipedrive.FileUpdate
	in.Name, _ = p["name"].(string)
	in.Description, _ = p["description"].(string)
	_, _, err = r.c.UpdateFile(ctx, n, in)
	return err
}

func (r *filesRemote) remove(ctx context.Context, id string) error {
	n, err := intID(id)
	if err != nil {
		return err
	}
	_, err = r.c.DeleteFile(ctx, n)
	return err
}

func (r *filesRemote) archive(context.Context, string) error {
	return &errUnsupported{"files cannot be archived"}
}

func (r *filesRemote) exists(ctx context.Context, id string) (bool, error) {
	n, err := intID(id)
	if err != nil {
		return false, nil
	}
	var active bool
	found, err := existsBy(func() error {
		f, _, err := r.c.File(ctx, n)
		active = f.ActiveFlag
		return err
	})
	return found && active, err
}

// find lists the files and compares: the sheet's path by its base name with the stored
// file's name (or file name), the records it is attached to, and any other field as it is.
func (r *filesRemote) find(ctx context.Context, match map[string]any) ([]string, error) {
	want := fileIdentOf(match)
	var ids []string
	for f, err := range r.c.AllFiles(ctx, pipedrive.FilesQuery{}) {
		if err != nil {
			return nil, err
		}
		ok, err := want.matches(f)
		if err != nil {
			return nil, err
		}
		if ok {
			ids = append(ids, strconv.Itoa(f.ID))
		}
	}
	return ids, nil
}

// fileIdent is what tells a file from others: the records it is attached to, its name,
// its size (uploads), and other fields compared as stored.
type fileIdent struct {
	links    map[string]string
	name     string
	remoteID string // a linked remote file is told by its remote id, not its name
	size     int64  // -1 = not compared
	rest     map[string]any
}

// fileIdentOf reads an identity or a match: a sheet path ("file") or a stored file name
// ("file_name"), a remote file's id or title, the ids of the records or a remote file's
// item_type and item_id, the size ("file_size").
func fileIdentOf(m map[string]any) fileIdent {
	id := fileIdent{links: rowLinks(m), size: -1, rest: map[string]any{}}
	if s, ok := m["file_name"].(string); ok && s != "" {
		id.name = s
	} else {
		id.name = uploadName(m)
	}
	if s := idText(m["remote_id"]); s != "" {
		id.remoteID, id.name = s, ""
	}
	if n, ok := intOf(m["file_size"]); ok {
		id.size = int64(n)
	}
	for k, v := range m {
		switch k {
		case "file", "file_name", "file_size", "remote_id", "title", "item_type", "item_id", "remote_location", "file_type":
			continue
		}
		if slices.Contains(fileLinks, k) {
			continue
		}
		id.rest[k] = v
	}
	return id
}

// matches reports whether the active file f is the one id describes.
func (id fileIdent) matches(f pipedrive.File) (bool, error) {
	if !f.ActiveFlag {
		return false, nil
	}
	if id.name != "" && f.Name != id.name && f.FileName != id.name {
		return false, nil
	}
	if id.remoteID != "" && f.RemoteID != id.remoteID {
		return false, nil
	}
	if id.size >= 0 && f.FileSize != id.size {
		return false, nil
	}
	links := fileLinksOf(f)
	for k, v := range id.links {
		if links[k] != v {
			return false, nil
		}
	}
	if len(id.rest) == 0 {
		return true, nil
	}
	rec, err := record(f)
	if err != nil {
		return false, err
	}
	return matches(rec, id.rest), nil
}

func (r *filesRemote) dated() bool { return true }

func (r *filesRemote) added(ctx context.Context, id string) (time.Time, time.Duration, error) {
	n, err := intID(id)
	if err != nil {
		return time.Time{}, 0, err
	}
	f, _, err := r.c.File(ctx, n)
	return addedOf(f.AddTime, err)
}

// recent reads the files newest first (GET /files sorted by id, which grows with time) down
// to the first file added before since. ident holds file_name and file_size besides the
// items the file is attached to (run.identityOf); a remote file's ident its remote id or
// title and its item.
func (r *filesRemote) recent(ctx context.Context, ident map[string]any, since time.Time) ([]candidate, error) {
	want := fileIdentOf(ident)
	var out []candidate
	for f, err := range r.c.AllFiles(ctx, pipedrive.FilesQuery{Sort: "id DESC", Limit: recentPage}) {
		if err != nil {
			return nil, err
		}
		added, after, ok := addedSince(f.AddTime, since)
		if ok && !after {
			break
		}
		same, err := want.matches(f)
		if err != nil {
			return nil, err
		}
		if ok && same {
			out = append(out, candidate{id: strconv.Itoa(f.ID), added: added, precision: precisionOf(f.AddTime)})
		}
	}
	sortCandidates(out)
	return out, nil
}
