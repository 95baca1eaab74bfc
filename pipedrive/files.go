package pipedrive

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"iter"
	"mime"
	"mime/multipart"
	"net/textproto"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
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
	// Buffer is the most bytes of the file read at a time into the body; 0 = 32 KiB. The
	// body holds no buffer of its own: the file is read straight into the transport's
	// (32 KiB) as it sends, so memory does not grow with the file's size.
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
	cl := &call{op: "addFile", open: func() (io.ReadCloser, string, int64, error) {
		if n := sent.Swap(0); up.Progress != nil && n != 0 {
			up.Progress(-n)
		}
		f, err := open()
		if err != nil {
			return nil, "", 0, fmt.Errorf("open upload: %w", err)
		}
		size := int64(-1)
		if st, ok := f.(interface{ Stat() (fs.FileInfo, error) }); ok {
			if fi, err := st.Stat(); err == nil && fi.Mode().IsRegular() {
				size = fi.Size()
			}
		}
		var r io.Reader = f
		if up.Progress != nil {
			r = &uploadCounter{r: f, report: func(n int64) { sent.Add(n); up.Progress(n) }}
		}
		body, ctype, err := newUploadBody(f, r, size, name, fields, up.Buffer)
		if err != nil {
			f.Close()
			return nil, "", 0, err
		}
		return body, ctype, body.length(), nil
	}}
	return c.fileCall(ctx, cl)
}

var quoteEscaper = strings.NewReplacer("\\", "\\\\", `"`, "\\\"", "\r", "", "\n", "")

// uploadBody is a multipart body read as the transport sends it: head (the fields and the
// file part's header), the file, then tail (the closing boundary). It holds no buffer
// and no goroutine: the file is read straight into the transport's buffer. When the file's
// size is known so is the body's length, and the transport sends it with a Content-Length
// (no chunk framing, one write per read); the file must then keep that size while it is
// sent, or the upload fails.
type uploadBody struct {
	mu     sync.Mutex // Read and Close: Close waits for a Read under way
	head   []byte
	tail   []byte
	f      io.Closer
	r      io.Reader // the file (through the progress counter)
	size   int64     // the file's size; -1 when unknown (read until EOF)
	read   int64     // bytes of the file read so far
	max    int       // bytes of the file read at a time, at most
	eof    bool      // the file is read whole
	closed bool
}

// newUploadBody returns the body of an upload of r (f closes it) named name with fields.
func newUploadBody(f io.Closer, r io.Reader, size int64, name string, fields [][2]string, buffer int) (*uploadBody, string, error) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, kv := range fields {
		if err := mw.WriteField(kv[0], kv[1]); err != nil {
			return nil, "", err
		}
	}
	ctype := mime.TypeByExtension(filepath.Ext(name))
	if ctype == "" {
		ctype = "application/octet-stream"
	}
	h := make(textproto.MIMEHeader)
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="file"; filename="%s"`, quoteEscaper.Replace(name)))
	h.Set("Content-Type", ctype)
	if _, err := mw.CreatePart(h); err != nil {
		return nil, "", err
	}
	head := bytes.Clone(buf.Bytes())
	buf.Reset()
	if err := mw.Close(); err != nil {
		return nil, "", err
	}
	if buffer <= 0 {
		buffer = 32 << 10
	}
	return &uploadBody{head: head, tail: buf.Bytes(), f: f, r: r, size: size, max: buffer}, mw.FormDataContentType(), nil
}

// length is the body's length in bytes, -1 when the file's size is unknown.
func (b *uploadBody) length() int64 {
	if b.size < 0 {
		return -1
	}
	return int64(len(b.head)) + b.size + int64(len(b.tail))
}

// Read fills p with what comes next: the rest of head, then the file, then tail. One read
// of the file at most per call.
func (b *uploadBody) Read(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return 0, errors.New("read upload: body closed")
	}
	n := copy(p, b.head)
	b.head = b.head[n:]
	if len(b.head) > 0 {
		return n, nil
	}
	if !b.eof && n < len(p) {
		m, err := b.readFile(p[n:])
		n += m
		if err != nil {
			return n, err
		}
		if !b.eof {
			return n, nil
		}
	}
	m := copy(p[n:], b.tail)
	b.tail = b.tail[m:]
	n += m
	if len(b.tail) == 0 && b.eof {
		return n, io.EOF
	}
	return n, nil
}

// readFile reads the file into p (at most max bytes) and sets eof when it is read whole. A
// file of known size that turns out shorter or longer is an error.
func (b *uploadBody) readFile(p []byte) (int, error) {
	if len(p) > b.max {
		p = p[:b.max]
	}
	left := b.size - b.read
	if b.size >= 0 && left < int64(len(p)) {
		if left == 0 {
			// The file's size is read: only its end may follow.
			n, err := b.r.Read(p[:1])
			switch {
			case n > 0:
				return 0, fmt.Errorf("read upload: the file grew while it was sent (past %d bytes)", b.size)
			case errors.Is(err, io.EOF):
				b.eof = true
				return 0, nil
			case err != nil:
				return 0, fmt.Errorf("read upload: %w", err)
			}
			return 0, nil
		}
		p = p[:left]
	}
	n, err := b.r.Read(p)
	b.read += int64(n)
	switch {
	case errors.Is(err, io.EOF) && b.size >= 0 && b.read < b.size:
		return n, fmt.Errorf("read upload: the file shrank while it was sent (%d of %d bytes)", b.read, b.size)
	case errors.Is(err, io.EOF):
		b.eof = true
		return n, nil
	case err != nil:
		return n, fmt.Errorf("read upload: %w", err)
	}
	return n, nil
}

// Close closes the file, once a Read under way has ended; it is safe to call more than
// once, and from another goroutine than Read's.
func (b *uploadBody) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil
	}
	b.closed = true
	if err := b.f.Close(); err != nil {
		return fmt.Errorf("close upload: %w", err)
	}
	return nil
}

// uploadCounter reports the bytes read through it.
type uploadCounter struct {
	r      io.Reader
	report func(int64)
}

// Read reads from the file and reports what it read.
func (p *uploadCounter) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	if n > 0 {
		p.report(int64(n))
	}
	return n, err
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
