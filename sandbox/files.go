package sandbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/pdbulk/pdbulk/spec"
)

// file is a file as the sandbox stores and answers it. Its string fields are "" when empty,
// as in Pipedrive's own examples (cid, s3_bucket, mail_message_id, mail_template_id and the
// names of items it is not linked to); the ids of items it is not linked to are null.
type file struct {
	ID             int     `json:"id"`
	CID            string  `json:"cid"`
	URL            string  `json:"url"`
	Name           string  `json:"name"`
	OrgID          *int    `json:"org_id"`
	DealID         *int    `json:"deal_id"`
	LeadID         *string `json:"lead_id"`
	UserID         int     `json:"user_id"`
	AddTime        string  `json:"add_time"`
	OrgName        string  `json:"org_name"`
	DealName       string  `json:"deal_name"`
	FileName       string  `json:"file_name"`
	FileSize       int64   `json:"file_size"`
	LeadName       string  `json:"lead_name"`
	PersonID       *int    `json:"person_id"`
	RemoteID       string  `json:"remote_id"`
	S3Bucket       string  `json:"s3_bucket"`
	ProductID      *int    `json:"product_id"`
	ActiveFlag     bool    `json:"active_flag"`
	ActivityID     *int    `json:"activity_id"`
	Description    string  `json:"description"`
	InlineFlag     bool    `json:"inline_flag"`
	PersonName     string  `json:"person_name"`
	UpdateTime     string  `json:"update_time"`
	ProductName    string  `json:"product_name"`
	MailMessageID  string  `json:"mail_message_id"`
	RemoteLocation string  `json:"remote_location"`
	MailTemplateID string  `json:"mail_template_id"`
	FileType       string  `json:"file_type"`
	seq            int64
}

// withURL returns a copy of f whose url points at this server's download endpoint.
func (f file) withURL(r *http.Request) *file {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	f.URL = fmt.Sprintf("%s://%s/api/v1/files/%d/download", scheme, r.Host, f.ID)
	return &f
}

func (st *store) filePath(id int) string { return filepath.Join(st.filesDir, strconv.Itoa(id)) }

func strPtr(s string) *string { return &s }

// linkFileLocked validates the item links of an upload and fills f's ids and names; err
// is a failure to read the store, msg what is wrong with the links.
func (st *store) linkFileLocked(f *file, v map[string]string) (msg string, err error) {
	var msgs []string
	intField := func(k string) *int {
		s, present := v[k]
		if !present || s == "" {
			return nil
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			msgs = append(msgs, k+" must be a positive integer")
			return nil
		}
		return &n
	}
	f.DealID, f.PersonID, f.OrgID = intField("deal_id"), intField("person_id"), intField("org_id")
	f.ProductID, f.ActivityID = intField("product_id"), intField("activity_id")
	if f.PersonID != nil {
		if p, found := findPerson(*f.PersonID); found {
			f.PersonName = p.Name
		} else {
			msgs = append(msgs, fmt.Sprintf("person_id %d does not exist", *f.PersonID))
		}
	}
	if f.DealID != nil {
		if d, found := findDeal(*f.DealID); found {
			f.DealName = d.Title
		} else {
			msgs = append(msgs, fmt.Sprintf("deal_id %d does not exist", *f.DealID))
		}
	}
	if f.OrgID != nil {
		if o, found := findOrg(*f.OrgID); found {
			f.OrgName = o.Name
		} else {
			msgs = append(msgs, fmt.Sprintf("org_id %d does not exist", *f.OrgID))
		}
	}
	if id := v["lead_id"]; id != "" {
		var l Lead
		found := false
		if spec.IsUUID(id) {
			if l, found, err = st.leadLocked(id); err != nil {
				return "", err
			}
		}
		if !found {
			msgs = append(msgs, fmt.Sprintf("lead_id %q is not an existing lead", id))
		} else {
			f.LeadID, f.LeadName = strPtr(id), l.Title
		}
	}
	if len(msgs) == 0 && f.DealID == nil && f.PersonID == nil && f.OrgID == nil && f.ProductID == nil && f.ActivityID == nil && f.LeadID == nil {
		msgs = append(msgs, "a file must be linked to a deal, person, organization, product, activity or lead")
	}
	return strings.Join(msgs, "; "), nil
}

func fileType(name string) string {
	ext := strings.TrimPrefix(strings.ToLower(filepath.Ext(name)), ".")
	if ext == "" {
		return "unknown"
	}
	return ext
}

// errNoFiles is Pipedrive's answer (400) to an upload without a file part that has a file name.
const errNoFiles = "No files were provided with the request."

// addFile streams a multipart upload to disk (never more than MaxBodyBytes), then links it.
func (s *Server) addFile(w http.ResponseWriter, r *http.Request) {
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" {
		writeError(w, http.StatusUnsupportedMediaType, "unsupported content type, expected multipart/form-data", defaultErrorInfo)
		return
	}
	if params["boundary"] == "" {
		badRequest(w, "malformed multipart body")
		return
	}
	// The multipart reader reads 4 KiB at a time; a larger buffer under it turns that into
	// a system call per chunk the client sent instead of one per 4 KiB (copyBlock).
	br := blockReader(http.MaxBytesReader(w, r.Body, s.opts.MaxBodyBytes))
	defer putBlockReader(br)
	mr := multipart.NewReader(br, params["boundary"])
	// The file part is written straight to the file of the id it will have (allocated when
	// the part starts): one directory entry made per upload, none renamed, and none left by
	// an upload that fails (its id is then unused, as Pipedrive's ids of failed creates).
	var tmp *os.File
	var id int
	stored := false
	defer func() {
		if tmp != nil {
			_ = tmp.Close() // already failed or done with; nothing to report
			if !stored {
				_ = os.Remove(tmp.Name())
			}
		}
	}()
	vals := map[string]string{}
	var name string
	var size int64
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			uploadError(w, err)
			return
		}
		if part.FormName() == "file" {
			if tmp != nil {
				badRequest(w, "only one file can be uploaded at a time")
				return
			}
			// A file part without a file name is a plain form field, not a file: Pipedrive
			// answers it as if no file had been sent.
			if part.FileName() == "" {
				badRequest(w, "%s", errNoFiles)
				return
			}
			s.store.mu.Lock()
			id = s.store.allocIntLocked(kindFile)
			s.store.mu.Unlock()
			if tmp, err = os.OpenFile(s.store.filePath(id), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600); err != nil {
				internalError(w, s, "add file", err)
				return
			}
			name = filepath.Base(strings.ReplaceAll(part.FileName(), "\\", "/"))
			if name == "." || name == "/" || name == "" {
				name = "file"
			}
			if size, err = copyToFile(tmp, part); err != nil {
				uploadError(w, err)
				return
			}
			continue
		}
		b, err := io.ReadAll(io.LimitReader(part, 64<<10))
		if err != nil {
			uploadError(w, err)
			return
		}
		vals[part.FormName()] = strings.TrimSpace(string(b))
	}
	if tmp == nil {
		badRequest(w, "%s", errNoFiles)
		return
	}
	if err := tmp.Close(); err != nil {
		internalError(w, s, "add file", err)
		return
	}
	t := s.store.now().Format(fileTimeLayout)
	f := &file{Name: name, FileName: name, FileSize: size, UserID: 1, AddTime: t, UpdateTime: t,
		ActiveFlag: true, RemoteLocation: "s3", FileType: fileType(name)}
	st := s.store
	st.mu.Lock()
	if msg, err := st.linkFileLocked(f, vals); err != nil || msg != "" {
		st.mu.Unlock()
		if err != nil {
			internalError(w, s, "add file", err)
		} else {
			badRequest(w, "%s", msg)
		}
		return
	}
	f.ID = id
	f.RemoteID = "sandbox/" + strconv.Itoa(f.ID)
	if err = st.saveLocked(kindFile, strconv.Itoa(f.ID), &f.seq, f); err == nil {
		st.files[f.ID] = f
		stored = true
	}
	st.mu.Unlock()
	if err != nil {
		internalError(w, s, "add file", err)
		return
	}
	ok(w, f.withURL(r))
}

func uploadError(w http.ResponseWriter, err error) {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		writeError(w, http.StatusRequestEntityTooLarge, "request body too large", defaultErrorInfo)
		return
	}
	badRequest(w, "malformed multipart body")
}

// readForm reads a urlencoded, multipart (no files) or JSON object body as flat values.
func readForm(w http.ResponseWriter, r *http.Request) (map[string]string, bool) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		mt = ""
	}
	vals := map[string]string{}
	switch mt {
	case "application/json":
		m, ok := readJSONObject(w, r)
		if !ok {
			return nil, false
		}
		for k, raw := range m {
			var v any
			if json.Unmarshal(raw, &v) != nil {
				continue
			}
			switch x := v.(type) {
			case string:
				vals[k] = x
			case float64:
				vals[k] = strconv.FormatFloat(x, 'f', -1, 64)
			case bool:
				vals[k] = strconv.FormatBool(x)
			}
		}
		return vals, true
	case "application/x-www-form-urlencoded", "multipart/form-data":
		r.Body = http.MaxBytesReader(w, r.Body, maxJSONBody)
		var perr error
		if mt == "multipart/form-data" {
			perr = r.ParseMultipartForm(maxJSONBody)
		} else {
			perr = r.ParseForm()
		}
		if perr != nil {
			uploadError(w, perr)
			return nil, false
		}
		for k, v := range r.PostForm {
			if len(v) > 0 {
				vals[k] = strings.TrimSpace(v[0])
			}
		}
		return vals, true
	}
	writeError(w, http.StatusUnsupportedMediaType, "unsupported content type, expected application/x-www-form-urlencoded", defaultErrorInfo)
	return nil, false
}

var remoteFileTypes = []string{"gdoc", "gslides", "gsheet", "gform", "gdraw"}

// addRemoteFile serves POST /files/remote (create creates a new remote file) and
// POST /files/remoteLink (links an existing remote file).
func (s *Server) addRemoteFile(w http.ResponseWriter, r *http.Request, create bool) {
	v, okForm := readForm(w, r)
	if !okForm {
		return
	}
	var msgs []string
	if create {
		if !slices.Contains(remoteFileTypes, v["file_type"]) {
			msgs = append(msgs, "file_type must be one of "+strings.Join(remoteFileTypes, ", "))
		}
		if v["title"] == "" {
			msgs = append(msgs, "title is required")
		}
	} else if v["remote_id"] == "" {
		msgs = append(msgs, "remote_id is required")
	}
	itemType := v["item_type"]
	links := map[string]string{}
	switch itemType {
	case "deal":
		links["deal_id"] = v["item_id"]
	case "person":
		links["person_id"] = v["item_id"]
	case "organization":
		links["org_id"] = v["item_id"]
	default:
		msgs = append(msgs, "item_type must be one of deal, organization, person")
	}
	if v["item_id"] == "" {
		msgs = append(msgs, "item_id is required")
	}
	if v["remote_location"] != "googledrive" {
		msgs = append(msgs, "remote_location must be googledrive")
	}
	if len(msgs) > 0 {
		badRequest(w, "%s", strings.Join(msgs, "; "))
		return
	}
	t := s.store.now().Format(fileTimeLayout)
	f := &file{UserID: 1, AddTime: t, UpdateTime: t, ActiveFlag: true, RemoteLocation: "googledrive"}
	if create {
		f.Name, f.FileName, f.FileType = v["title"], v["title"], v["file_type"]
	} else {
		f.RemoteID, f.Name, f.FileName, f.FileType = v["remote_id"], v["remote_id"], v["remote_id"], "unknown"
	}
	st := s.store
	st.mu.Lock()
	if msg, err := st.linkFileLocked(f, links); err != nil || msg != "" {
		st.mu.Unlock()
		if err != nil {
			internalError(w, s, "add remote file", err)
		} else {
			badRequest(w, "%s", msg)
		}
		return
	}
	f.ID = st.allocIntLocked(kindFile)
	if create {
		f.RemoteID = fmt.Sprintf("sandbox-gdrive-%d", f.ID)
	}
	err := st.saveLocked(kindFile, strconv.Itoa(f.ID), &f.seq, f)
	if err == nil {
		st.files[f.ID] = f
	}
	st.mu.Unlock()
	if err != nil {
		internalError(w, s, "add remote file", err)
		return
	}
	ok(w, f.withURL(r))
}

func (st *store) fileCopy(id string) (file, bool) {
	n, err := strconv.Atoi(id)
	if err != nil {
		return file{}, false
	}
	st.mu.RLock()
	defer st.mu.RUnlock()
	f, found := st.files[n]
	if !found {
		return file{}, false
	}
	return *f, true
}

func (s *Server) getFile(w http.ResponseWriter, r *http.Request, id string) {
	f, found := s.store.fileCopy(id)
	if !found {
		notFound(w, "file")
		return
	}
	ok(w, f.withURL(r))
}

func (s *Server) getFiles(w http.ResponseWriter, r *http.Request, maxLimit int) {
	q := r.URL.Query()
	pg, err := parsePage(q, maxLimit)
	if err != nil {
		badRequest(w, "%v", err)
		return
	}
	keys, err := parseSort(first(q, "sort"), []string{"id", "update_time", "add_time", "file_name", "file_size"})
	if err != nil {
		badRequest(w, "%v", err)
		return
	}
	st := s.store
	st.mu.RLock()
	list := []*file{}
	for _, f := range st.files {
		if f.ActiveFlag {
			list = append(list, f.withURL(r))
		}
	}
	st.mu.RUnlock()
	sort.Slice(list, func(i, j int) bool {
		a, b := list[i], list[j]
		for _, k := range keys {
			var c int
			switch k.field {
			case "id":
				c = a.ID - b.ID
			case "update_time":
				c = strings.Compare(a.UpdateTime, b.UpdateTime)
			case "add_time":
				c = strings.Compare(a.AddTime, b.AddTime)
			case "file_name":
				c = strings.Compare(a.FileName, b.FileName)
			case "file_size":
				c = int(a.FileSize - b.FileSize)
			}
			if c != 0 {
				return (c < 0) != k.desc
			}
		}
		return a.ID < b.ID
	})
	lo, hi, more := pg.window(len(list))
	writeJSON(w, http.StatusOK, map[string]any{
		"success": true, "data": list[lo:hi],
		"additional_data": map[string]any{"pagination": pg.pagination(more)},
	})
}

func (s *Server) updateFile(w http.ResponseWriter, r *http.Request, id string) {
	if f, found := s.store.fileCopy(id); !found || !f.ActiveFlag {
		notFound(w, "file")
		return
	}
	v, okForm := readForm(w, r)
	if !okForm {
		return
	}
	name, hasName := v["name"]
	if hasName && name == "" {
		badRequest(w, "name must not be empty")
		return
	}
	n, _ := strconv.Atoi(id) // fileCopy parsed it
	st := s.store
	st.mu.Lock()
	cur, found := st.files[n]
	if !found || !cur.ActiveFlag {
		st.mu.Unlock()
		notFound(w, "file")
		return
	}
	f := *cur
	if hasName {
		f.Name = name
	}
	if d, has := v["description"]; has {
		f.Description = d
	}
	f.UpdateTime = s.store.now().Format(fileTimeLayout)
	err := st.saveLocked(kindFile, id, &f.seq, &f)
	if err == nil {
		st.files[n] = &f
	}
	st.mu.Unlock()
	if err != nil {
		internalError(w, s, "update file", err)
		return
	}
	ok(w, f.withURL(r))
}

// deleteFile marks the file deleted (active_flag false) and removes its bytes.
func (s *Server) deleteFile(w http.ResponseWriter, id string) {
	n, err := strconv.Atoi(id)
	if err != nil {
		notFound(w, "file")
		return
	}
	st := s.store
	st.mu.Lock()
	cur, found := st.files[n]
	found = found && cur.ActiveFlag
	if found {
		f := *cur
		f.ActiveFlag, f.UpdateTime = false, s.store.now().Format(fileTimeLayout)
		if err = st.saveLocked(kindFile, id, &f.seq, &f); err == nil {
			st.files[n] = &f
			if rmErr := os.Remove(st.filePath(n)); rmErr != nil && !errors.Is(rmErr, os.ErrNotExist) {
				s.opts.Logf("sandbox: delete file %d: %v", n, rmErr)
			}
		}
	}
	st.mu.Unlock()
	switch {
	case !found:
		notFound(w, "file")
	case err != nil:
		internalError(w, s, "delete file", err)
	default:
		ok(w, map[string]any{"id": n})
	}
}

func (s *Server) downloadFile(w http.ResponseWriter, r *http.Request, id string) {
	f, found := s.store.fileCopy(id)
	if !found || !f.ActiveFlag || f.RemoteLocation != "s3" {
		notFound(w, "file")
		return
	}
	fh, err := os.Open(s.store.filePath(f.ID))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			notFound(w, "file")
			return
		}
		internalError(w, s, "download file", err)
		return
	}
	defer fh.Close()
	ct := mime.TypeByExtension(filepath.Ext(f.FileName))
	if ct == "" {
		ct = "application/octet-stream"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": f.FileName}))
	w.Header().Set("Content-Length", strconv.FormatInt(f.FileSize, 10))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		if _, err := io.Copy(w, fh); err != nil {
			s.opts.Logf("sandbox: download file %d: %v", f.ID, err)
		}
	}
}
