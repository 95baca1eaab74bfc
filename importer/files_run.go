package importer

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/pdbulk/pdbulk/jobs"
	"github.com/pdbulk/pdbulk/mapping"
	"github.com/pdbulk/pdbulk/pipedrive"
)

// ActionAttached is the success report's action for a row of mode upsert whose file the
// record had already: nothing was uploaded.
const ActionAttached = "skipped: already attached"

// fileLinks are the payload fields that attach a file to a record.
var fileLinks = []string{"lead_id", "deal_id", "person_id", "org_id", "product_id", "activity_id"}

// processFile takes a files row from its mapped payload to its final state (row.go hands
// every files row here):
//   - create uploads the file (or creates / links the remote file), exactly once under
//     the in-doubt rules of every create (indoubt.go), the identity being the record the
//     file is attached to, its name and its size;
//   - upsert does the same unless the record has an active file of that name and size
//     already (one listing of the files, cached for the run): the row is then done with
//     ActionAttached;
//   - update changes the name and description of the file found by id, or through the id
//     map by the row's key, or by name and record (PUT /files/{id});
//   - delete removes the file found the same way.
//
// A file that cannot be uploaded (missing, unreadable, a folder, a FIFO or device, empty,
// above options.max_file_size, outside the files root) rejects its row with that reason.
func (r *run) processFile(ctx context.Context, t task, payload, match map[string]any, stopFeeding func()) error {
	fr, _ := r.remote.(*filesRemote)
	if fr == nil {
		fr = &filesRemote{c: r.o.Client, job: r.job}
	}
	fr.start(r)
	body := withoutID(payload)
	mode := r.job.Mode
	kind := r.job.FilesKindOf()
	var size int64
	if kind == jobs.FilesUpload && (mode == jobs.ModeCreate || mode == jobs.ModeUpsert) {
		rel, _ := body["file"].(string)
		n, err := r.job.CheckFile(rel)
		if err != nil {
			f, _ := fieldFor(r.job.Mapping, "file")
			return r.failed(ctx, t, &mapping.FieldError{Row: t.row.Num, Column: f.Column, Field: "file", Value: rel, Err: fileReason(err, rel)}, stopFeeding)
		}
		size = n
	}
	if kind != jobs.FilesUpload && mode != jobs.ModeDelete {
		if err := checkRemoteRow(kind, mode, body); err != nil {
			return r.rejectRow(ctx, t, "", err.Error())
		}
	}
	if r.o.DryRun {
		r.plan.addRow(mode)
		r.stats.DryRunValid.Add(1)
		r.stats.Pending.Add(-1)
		return nil
	}
	switch mode {
	case jobs.ModeUpdate:
		return r.upsert(ctx, t, body, match, stopFeeding)
	case jobs.ModeDelete:
		return r.removeRow(ctx, t, match, stopFeeding)
	case jobs.ModeUpsert:
		// A row an earlier run left in doubt is reconciled by create: the file it may have
		// uploaded is its own, not one that was "already attached".
		if !t.inDoubt {
			id, err := fr.attached(ctx, body, size)
			if err != nil {
				return r.failed(ctx, t, err, stopFeeding)
			}
			if id != "" {
				return r.finishAttached(ctx, t, id, size)
			}
		}
	}
	return r.create(ctx, t, body, match, stopFeeding)
}

// fileReasonError is a file check's error as a reject reason: without the package and the
// path, which the field error shows already (column "path" (file): "L-1/a.pdf" is empty
// (0 bytes): nothing to upload).
type fileReasonError struct {
	err error
	rel string
}

func (e fileReasonError) Error() string {
	s := strings.TrimPrefix(e.err.Error(), "jobs: ")
	q := strconv.Quote(e.rel)
	for _, p := range []string{"resolve file " + q + ": ", "open file " + q + ": ", "file " + q + " "} {
		if strings.HasPrefix(s, p) {
			return strings.TrimPrefix(s, p)
		}
	}
	return s
}
func (e fileReasonError) Unwrap() error { return e.err }

func fileReason(err error, rel string) error { return fileReasonError{err, rel} }

// finishAttached records a row of mode upsert whose file was there already.
func (r *run) finishAttached(ctx context.Context, t task, id string, size int64) error {
	wctx := context.WithoutCancel(ctx)
	if err := r.state.MarkDone(wctx, t.row.Num, id, ActionAttached); err != nil {
		return r.fatal(err)
	}
	if t.srcKey != "" {
		// A later job finds the file through the id map, as if this job had uploaded it.
		if err := r.o.State.PutID(wctx, string(r.job.Entity), t.srcKey, id); err != nil {
			return r.fatal(err)
		}
	}
	r.rep.settle(t.slot, outcome{status: jobs.StatusDone, id: id, action: ActionAttached})
	if u := r.uploadStats(); u != nil {
		u.Attached.Add(1)
		u.BytesAttached.Add(size)
	}
	r.stats.Unchanged.Add(1)
	r.stats.Pending.Add(-1)
	return nil
}

func (r *run) uploadStats() *UploadStats {
	if r.stats == nil {
		return nil
	}
	return &r.stats.Uploads
}

// checkRemoteRow checks a remote file row's values before it is sent: the API answers a
// missing field with a 400 that names it less clearly.
func checkRemoteRow(kind jobs.FilesKind, mode jobs.Mode, p map[string]any) error {
	if mode == jobs.ModeUpdate {
		return nil
	}
	need := []string{"item_type", "item_id"}
	if kind == jobs.FilesRemoteLink {
		need = append(need, "remote_id")
	} else {
		need = append(need, "file_type", "title")
	}
	var missing []string
	for _, k := range need {
		if isEmpty(p[k]) {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("a remote file needs %s: empty in this row", strings.Join(missing, ", "))
	}
	return nil
}

// ---- what is attached already ----

// attachedFile is an active file as the listing gave it.
type attachedFile struct {
	id    string
	links map[string]string // fileLinks → id text, for the links it has
	name  string            // visible name
	fname string            // stored file name
	size  int64
	// remote is the remote id of a linked remote file, which tells it apart
	remote string
}

// attachedIndex holds the active files by record, from one listing of GET /files taken
// on first use and kept up to date with the uploads of this run. (Pipedrive lists a
// record's files per deal, person, organization and product, but not per lead: one
// listing of every file serves them all.)
type attachedIndex struct {
	mu       sync.Mutex
	loaded   bool
	byRecord map[string][]*attachedFile // "lead_id=…" → its files
}

func linkKey(k, v string) string { return k + "=" + v }

// add indexes f under each record it is attached to. The caller holds mu.
func (ix *attachedIndex) addLocked(f *attachedFile) {
	for k, v := range f.links {
		ix.byRecord[linkKey(k, v)] = append(ix.byRecord[linkKey(k, v)], f)
	}
}

func fileLinksOf(f pipedrive.File) map[string]string {
	links := map[string]string{}
	for _, l := range []struct {
		k string
		v *int
	}{{"deal_id", f.DealID}, {"person_id", f.PersonID}, {"org_id", f.OrgID}, {"product_id", f.ProductID}, {"activity_id", f.ActivityID}} {
		if l.v != nil {
			links[l.k] = strconv.Itoa(*l.v)
		}
	}
	if f.LeadID != "" {
		links["lead_id"] = f.LeadID
	}
	return links
}

func toAttached(f pipedrive.File) *attachedFile {
	return &attachedFile{id: strconv.Itoa(f.ID), links: fileLinksOf(f), name: f.Name, fname: f.FileName, size: f.FileSize, remote: f.RemoteID}
}

// rowLinks are the records a row attaches its file to, as text ("" values left out).
func rowLinks(p map[string]any) map[string]string {
	out := map[string]string{}
	for _, k := range fileLinks {
		if s := idText(p[k]); s != "" {
			out[k] = s
		}
	}
	if t, _ := p["item_type"].(string); t != "" {
		if s := idText(p["item_id"]); s != "" {
			switch t {
			case "deal":
				out["deal_id"] = s
			case "person":
				out["person_id"] = s
			case "organization":
				out["org_id"] = s
			}
		}
	}
	return out
}

// uploadName is the name a row's file has once attached: the base name of an upload's
// path, a remote link's remote id, a new remote file's title.
func uploadName(p map[string]any) string {
	if rel, ok := p["file"].(string); ok && rel != "" {
		return filepath.Base(filepath.FromSlash(strings.ReplaceAll(rel, `\`, "/")))
	}
	if s, ok := p["remote_id"].(string); ok && s != "" {
		return s
	}
	s, _ := p["title"].(string)
	return s
}

// attached returns the id of an active file attached to every record the row names, with
// the row's file name and size ("" when there is none). The first call lists the files.
func (r *filesRemote) attached(ctx context.Context, p map[string]any, size int64) (string, error) {
	links := rowLinks(p)
	if len(links) == 0 {
		return "", nil
	}
	ix := &r.index
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if !ix.loaded {
		byRecord := map[string][]*attachedFile{}
		ix.byRecord = byRecord
		for f, err := range r.c.AllFiles(ctx, pipedrive.FilesQuery{}) {
			if err != nil {
				ix.byRecord = nil
				return "", err
			}
			if f.ActiveFlag {
				ix.addLocked(toAttached(f))
			}
		}
		ix.loaded = true
	}
	keys := make([]string, 0, len(links))
	for k := range links {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	name := uploadName(p)
	remoteID := idText(p["remote_id"])
	for _, f := range ix.byRecord[linkKey(keys[0], links[keys[0]])] {
		var same bool
		switch {
		case remoteID != "":
			same = f.remote == remoteID
		case p["file"] == nil: // a new remote file, by its title
			same = f.name == name || f.fname == name
		default:
			same = (f.name == name || f.fname == name) && f.size == size
		}
		all := true
		for k, v := range links {
			all = all && f.links[k] == v
		}
		if same && all {
			return f.id, nil
		}
	}
	return "", nil
}

// noteUploaded adds a file this run uploaded to the index, when it is loaded.
func (r *filesRemote) noteUploaded(f pipedrive.File) {
	ix := &r.index
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if ix.loaded {
		ix.addLocked(toAttached(f))
	}
}

// statSize is the size of the file at p.
func statSize(p string) (int64, error) {
	st, err := os.Stat(p)
	if err != nil {
		return 0, err
	}
	return st.Size(), nil
}

// remoteIdentity is what tells the remote file a row creates or links: its item and its
// remote id (a link) or title (a new file), besides the match_on fields in ident.
func remoteIdentity(body, ident map[string]any) map[string]any {
	out := make(map[string]any, len(ident)+3)
	for k, v := range ident {
		out[k] = v
	}
	for _, k := range []string{"item_type", "item_id", "remote_id", "title"} {
		if v, ok := body[k]; ok && !isEmpty(v) {
			out[k] = v
		}
	}
	return out
}
