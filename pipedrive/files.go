package pipedrive

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"mime"
	"mime/multipart"
	"net/textproto"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
)

// FilesQuery selects files for GET /files. Zero fields are not sent.
type FilesQuery struct {
	Start int
	Limit int    // 0 or above the endpoint's maximum (100) means 100
	Sort  string // e.g. "id DESC"; fields id, update_time
}

func (q FilesQuery) values(start int) url.Values {
	v := url.Values{}
	setPage(v, "getFiles", start, q.Limit)
	addStr(v, "sort", q.Sort)
	return v
}

// ListFiles returns one page of files, starting at q.Start.
func (c *Client) ListFiles(ctx context.Context, q FilesQuery) ([]File, Page, *Response, error) {
	return listPage[File](ctx, c, "getFiles", q.values(q.Start), q.Start)
}

// AllFiles iterates over every file, page by page from q.Start.
func (c *Client) AllFiles(ctx context.Context, q FilesQuery) iter.Seq2[File, error] {
	return all(ctx, "getFiles", q.Start, func(ctx context.Context, start int) ([]File, Page, error) {
		items, page, _, err := listPage[File](ctx, c, "getFiles", q.values(start), start)
		return items, page, err
	})
}

// File returns the file with id.
func (c *Client) File(ctx context.Context, id int) (File, *Response, error) {
	return c.fileCall(ctx, &call{op: "getFile", ids: []string{strconv.Itoa(id)}})
}

func (c *Client) fileCall(ctx context.Context, cl *call) (File, *Response, error) {
	var env envelope[File]
	cl.out = &env
	resp, err := c.do(ctx, cl)
	return env.Data, resp, err
}

// Upload is a file to upload and the items to attach it to (zero ids are not sent).
type Upload struct {
	// Path is the file on disk. It is read as a stream, never held in memory.
	Path string
	// Open, when set, replaces Path: it returns the content afresh (it is called again
	// when an attempt must be repeated). The client closes what it returns.
	Open func() (io.ReadCloser, error)
	// Name is the file name sent; empty means the base name of Path.
	Name       string
	DealID     int
	PersonID   int
	OrgID      int
	ProductID  int
	ActivityID int
	LeadID     string
	// Buffer is how many bytes of the file are read at a time into the body; 0 = 32 KiB.
	// An upload holds one buffer: the body is written through an io.Pipe as the
	// transport sends it, so memory does not grow with the file's size.
	Buffer int
	// Progress, when set, is called with the bytes of the file taken by the transport as
	// they go; when an attempt is repeated it is first called with minus what the
	// failed attempt had sent, so that its sum is the bytes of the attempt under way.
	Progress func(delta int64)
}

// UploadFile uploads a file (multipart POST /files), streaming it from disk: memory does not
// grow with the file's size. Only a connection that failed before sending is retried (the
// file is reopened); on an error matching ErrInDoubt the file may have been stored.
func (c *Client) UploadFile(ctx context.Context, up Upload) (File, *Response, error) {
	name := up.Name
	if name == "" {
		name = filepath.Base(up.Path)
	}
	if up.Open == nil && up.Path == "" {
		return File{}, nil, errors.New("pipedrive: addFile: no file path")
	}
	if name == "" || name == "." || name == string(filepath.Separator) {
		return File{}, nil, errors.New("pipedrive: addFile: no file name")
	}
	open := up.Open
	if open == nil {
		open = func() (io.ReadCloser, error) { return os.Open(up.Path) }
	}
	fields := [][2]string{}
	for _, f := range []struct {
		key string
		v   int
	}{{"deal_id", up.DealID}, {"person_id", up.PersonID}, {"org_id", up.OrgID}, {"product_id", up.ProductID}, {"activity_id", up.ActivityID}} {
		if f.v != 0 {
			fields = append(fields, [2]string{f.key, strconv.Itoa(f.v)})
		}
	}
	if up.LeadID != "" {
		fields = append(fields, [2]string{"lead_id", up.LeadID})
	}
	var sent atomic.Int64 // by the attempt under way
	cl := &call{op: "addFile", open: func() (io.ReadCloser, string, error) {
		if n := sent.Swap(0); up.Progress != nil && n != 0 {
			up.Progress(-n)
		}
		f, err := open()
		if err != nil {
			return nil, "", fmt.Errorf("open upload: %w", err)
		}
		if up.Progress != nil {
			f = &uploadCounter{ReadCloser: f, report: func(n int64) { sent.Add(n); up.Progress(n) }}
		}
		return multipartStream(f, name, fields, up.Buffer)
	}}
	return c.fileCall(ctx, cl)
}

// pipeBody is the read end of a streamed multipart body. Close stops the writer and waits
// for it to end, so that the file is closed before the next attempt reopens it.
type pipeBody struct {
	*io.PipeReader
	done chan struct{}
}

// Close closes the pipe and waits for the writer goroutine to end.
func (p *pipeBody) Close() error {
	err := p.PipeReader.Close()
	<-p.done
	return err
}

var quoteEscaper = strings.NewReplacer("\\", "\\\\", `"`, "\\\"", "\r", "", "\n", "")

// multipartStream returns a body that writes fields then the file part, copying f as the
// transport reads. It takes ownership of f.
func multipartStream(f io.ReadCloser, name string, fields [][2]string, buffer int) (io.ReadCloser, string, error) {
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	body := &pipeBody{PipeReader: pr, done: make(chan struct{})}
	go func() {
		defer close(body.done)
		err := writeMultipart(mw, f, name, fields, buffer)
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("close upload: %w", cerr)
		}
		pw.CloseWithError(err) // nil closes with io.EOF
	}()
	return body, mw.FormDataContentType(), nil
}

// uploadCounter reports the bytes read through it.
type uploadCounter struct {
	io.ReadCloser
	report func(int64)
}

// Read reads from the file and reports what it read.
func (p *uploadCounter) Read(b []byte) (int, error) {
	n, err := p.ReadCloser.Read(b)
	if n > 0 {
		p.report(int64(n))
	}
	return n, err
}

func writeMultipart(mw *multipart.Writer, f io.Reader, name string, fields [][2]string, buffer int) error {
	for _, kv := range fields {
		if err := mw.WriteField(kv[0], kv[1]); err != nil {
			return err
		}
	}
	ctype := mime.TypeByExtension(filepath.Ext(name))
	if ctype == "" {
		ctype = "application/octet-stream"
	}
	h := make(textproto.MIMEHeader)
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="file"; filename="%s"`, quoteEscaper.Replace(name)))
	h.Set("Content-Type", ctype)
	part, err := mw.CreatePart(h)
	if err != nil {
		return err
	}
	if buffer <= 0 {
		buffer = 32 << 10
	}
	// Only Read is exposed, so that the copy goes through this one buffer (an *os.File
	// would otherwise pick its own path).
	if _, err := io.CopyBuffer(part, struct{ io.Reader }{f}, make([]byte, buffer)); err != nil {
		return fmt.Errorf("read upload: %w", err)
	}
	return mw.Close()
}

// RemoteLink links an existing remote file to an item (POST /files/remoteLink).
// ItemType is deal, organization or person; RemoteLocation is googledrive.
type RemoteLink struct {
	ItemType       string
	ItemID         int
	RemoteID       string
	RemoteLocation string
}

// LinkRemoteFile links a remote file to an item.
func (c *Client) LinkRemoteFile(ctx context.Context, in RemoteLink) (File, *Response, error) {
	form := url.Values{
		"item_type":       {in.ItemType},
		"item_id":         {strconv.Itoa(in.ItemID)},
		"remote_id":       {in.RemoteID},
		"remote_location": {in.RemoteLocation},
	}
	return c.fileCall(ctx, &call{op: "linkFileToItem", form: form})
}

// RemoteFile creates an empty remote file linked to an item (POST /files/remote).
// FileType is gdoc, gslides, gsheet, gform or gdraw; ItemType deal, organization or person;
// RemoteLocation googledrive.
type RemoteFile struct {
	FileType       string
	Title          string
	ItemType       string
	ItemID         int
	RemoteLocation string
}

// CreateRemoteFile creates a remote file and links it to an item.
func (c *Client) CreateRemoteFile(ctx context.Context, in RemoteFile) (File, *Response, error) {
	form := url.Values{
		"file_type":       {in.FileType},
		"title":           {in.Title},
		"item_type":       {in.ItemType},
		"item_id":         {strconv.Itoa(in.ItemID)},
		"remote_location": {in.RemoteLocation},
	}
	return c.fileCall(ctx, &call{op: "addFileAndLinkIt", form: form})
}

// FileUpdate is the body of PUT /files/{id}; empty fields are not sent.
type FileUpdate struct {
	Name        string
	Description string
}

// UpdateFile changes a file's name or description.
func (c *Client) UpdateFile(ctx context.Context, id int, in FileUpdate) (File, *Response, error) {
	form := url.Values{}
	addStr(form, "name", in.Name)
	addStr(form, "description", in.Description)
	return c.fileCall(ctx, &call{op: "updateFile", ids: []string{strconv.Itoa(id)}, form: form})
}

// DeleteFile marks file id as deleted.
func (c *Client) DeleteFile(ctx context.Context, id int) (*Response, error) {
	return c.do(ctx, &call{op: "deleteFile", ids: []string{strconv.Itoa(id)}, out: &envelope[struct {
		ID int `json:"id"`
	}]{}})
}

// DownloadFile streams the content of file id to w and returns the bytes written. An error
// while streaming is not retried (w may hold part of the file).
func (c *Client) DownloadFile(ctx context.Context, id int, w io.Writer) (int64, *Response, error) {
	cw := &countWriter{w: w}
	resp, err := c.do(ctx, &call{op: "downloadFile", ids: []string{strconv.Itoa(id)}, sink: cw})
	return cw.n, resp, err
}

type countWriter struct {
	w io.Writer
	n int64
}

// Write writes to the underlying writer and counts the bytes written.
func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
