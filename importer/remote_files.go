package importer

import (
	"context"
	"io"
	"path/filepath"
	"strconv"
	"time"

	"github.com/pdbulk/pdbulk/jobs"
	"github.com/pdbulk/pdbulk/pipedrive"
)

// ---- files ----

// filesRemote uploads files from the job's files root. The payload's "file" is the path
// from the sheet, relative to the root; it is opened inside the root only (jobs.OpenFile).
type filesRemote struct {
	c   *pipedrive.Client
	job *jobs.Job
}

func (r *filesRemote) create(ctx context.Context, p map[string]any) (string, error) {
	rel, _ := p["file"].(string)
	up := pipedrive.Upload{
		Name: filepath.Base(filepath.FromSlash(rel)),
		Open: func() (io.ReadCloser, error) { return r.job.OpenFile(rel) },
	}
	up.DealID, _ = intOf(p["deal_id"])
	up.PersonID, _ = intOf(p["person_id"])
	up.OrgID, _ = intOf(p["org_id"])
	up.ProductID, _ = intOf(p["product_id"])
	up.ActivityID, _ = intOf(p["activity_id"])
	up.LeadID, _ = p["lead_id"].(string)
	f, _, err := r.c.UploadFile(ctx, up)
	return strconv.Itoa(f.ID), err
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

// find lists the files and compares: the sheet's path is compared by its base name with
// the stored file name.
func (r *filesRemote) find(ctx context.Context, match map[string]any) ([]string, error) {
	m := make(map[string]any, len(match))
	for k, v := range match {
		if k == "file" {
			s, _ := v.(string)
			m["file_name"] = filepath.Base(filepath.FromSlash(s))
			continue
		}
		m[k] = v
	}
	m["active_flag"] = true
	var ids []string
	for f, err := range r.c.AllFiles(ctx, pipedrive.FilesQuery{}) {
		if err != nil {
			return nil, err
		}
		rec, err := record(f)
		if err != nil {
			return nil, err
		}
		if matches(rec, m) {
			ids = append(ids, strconv.Itoa(f.ID))
		}
	}
	return ids, nil
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
// item the file is attached to (run.identityOf).
func (r *filesRemote) recent(ctx context.Context, ident map[string]any, since time.Time) ([]candidate, error) {
	var out []candidate
	for f, err := range r.c.AllFiles(ctx, pipedrive.FilesQuery{Sort: "id DESC", Limit: recentPage}) {
		if err != nil {
			return nil, err
		}
		added, after, ok := addedSince(f.AddTime, since)
		if ok && !after {
			break
		}
		rec, err := record(f)
		if err != nil {
			return nil, err
		}
		if ok && f.ActiveFlag && matches(rec, ident) {
			out = append(out, candidate{id: strconv.Itoa(f.ID), added: added, precision: precisionOf(f.AddTime)})
		}
	}
	sortCandidates(out)
	return out, nil
}
