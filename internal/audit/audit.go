package audit

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"
)

// Genesis is the "prev" of the first record of a chain.
var genesis = strings.Repeat("0", 64)

// Event is one thing worth auditing.
type Event struct {
	Type   string         // connect, auth, statement, admin…
	Fields map[string]any // what happened; no secrets, literals masked
	// Pairs are fields given in order instead of in a map (a record
	// written at every statement builds no map): keys ascending and
	// unique, as the record lists them. Fields and Pairs may both be set
	// if their keys differ.
	Pairs []Field
}

// Get returns the value of field key (a string field as a string), from
// Pairs or Fields; nil if there is none.
func (e Event) Get(key string) any {
	for _, f := range e.Pairs {
		if f.Key == key {
			if f.V == nil {
				return f.S
			}
			if _, isNull := f.V.(null); isNull {
				return nil
			}
			return f.V
		}
	}
	return e.Fields[key]
}

// Field is one of Event.Pairs: a string S, or any other value V (V set).
type Field struct {
	Key string
	S   string
	V   any
}

// String is a string field.
func String(key, s string) Field { return Field{Key: key, S: s} }

// Value is a field of another type (bool, numbers, []string, …; nil
// is JSON null).
func Value(key string, v any) Field {
	if v == nil {
		v = null{}
	}
	return Field{Key: key, V: v}
}

// null is a nil field value, which a Field cannot hold in V.
type null struct{}

// record is the on-disk form; fields are flattened next to these.
type header struct {
	Seq  uint64 `json:"seq"`
	Time string `json:"time"`
	Prev string `json:"prev"`
	Type string `json:"type"`
	// Hash is the SHA-256 of the record without this field; it is the
	// next record's Prev.
	Hash string `json:"hash,omitempty"`
	// Mac replaces Hash in a keyed log: the HMAC-SHA-256 of the record
	// without this field under the audit key.
	Mac string `json:"mac,omitempty"`
	// Ckpt is the number of checkpoints written before this record
	// (present when checkpoints are configured).
	Ckpt *uint64 `json:"ckpt,omitempty"`
	// at is the record's time when Time is empty (encodeTo formats it).
	at time.Time
	// prevHex, when set, is Prev as bytes (hex: nothing to escape).
	prevHex []byte
}

// Options configure a Writer.
type Options struct {
	// MaxBytes rotates the file when it grows past this size (0: never).
	MaxBytes int64
	// Queue bounds the events waiting to be written (default 4096).
	Queue int
	// Block makes Log wait when the queue is full instead of dropping.
	Block bool
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Dropped is called for each event dropped on a full queue.
	Dropped func()
	// Tee also receives every record line (standard output, say). With
	// an empty path it is the only sink and the chain starts afresh.
	Tee io.Writer
	// FlushDelay bounds how long a record waits in the buffer before it
	// is written (default 5ms); Close writes everything.
	FlushDelay time.Duration
	// Key, when set, chains records with HMAC-SHA-256 under it ("mac")
	// instead of a plain SHA-256 ("hash"): without the key nobody can
	// recompute the chain after changing a record.
	Key []byte
	// Checkpoints is a file that receives a checkpoint (the sequence
	// number and MAC of the head record, itself MACed and chained) every
	// CheckpointEvery records, every CheckpointInterval, and at Close.
	// Keep it somewhere else than the log: it detects removal of records
	// at either end of the log and truncation of the checkpoint file.
	Checkpoints        string
	CheckpointEvery    int
	CheckpointInterval time.Duration
}

// Writer appends hash-chained records to a file.
type Writer struct {
	path  string
	opts  Options
	queue chan Event
	// hurry ends the writer's batch wait early: a queue half full.
	hurry chan struct{}
	done  chan struct{}
	err   atomic.Pointer[error]

	// owned by the writer goroutine
	f    *os.File
	ck   *checkpointer // nil without Options.Checkpoints
	bw   *bufio.Writer // nil without a file
	tee  *bufio.Writer // nil without Options.Tee
	size int64
	seq  uint64
	prev string // the last record's chain value, unless hexPrev
	// prevHex is the last record's chain value when hexPrev is set (the
	// writer keeps it as bytes: no string per record); head gives it.
	prevHex [sha256.Size * 2]byte
	hexPrev bool
	macSum  [sha256.Size]byte
	from    uint64    // first seq in the current file
	line    []byte    // the record buffer, reused
	mac     hash.Hash // the HMAC state with Options.Key

	closeOnce sync.Once
	// closing guards the queue: Log after Close drops the event instead
	// of sending on a closed channel (a statement that began under a
	// configuration whose log a reload has since closed).
	closing struct {
		sync.RWMutex
		closed bool
	}
}

// Open opens (creating if needed) the log at path and continues its chain.
func Open(path string, opts Options) (*Writer, error) {
	if opts.Queue <= 0 {
		opts.Queue = 4096
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.FlushDelay <= 0 {
		opts.FlushDelay = 5 * time.Millisecond
	}
	w := &Writer{path: path, opts: opts, queue: make(chan Event, opts.Queue), hurry: make(chan struct{}, 1), done: make(chan struct{}), prev: genesis}
	if opts.Tee != nil {
		w.tee = bufio.NewWriterSize(opts.Tee, 64<<10)
	}
	if path == "" && w.tee == nil {
		return nil, errors.New("audit: no file and no stream to write to")
	}
	if path != "" {
		if err := w.open(); err != nil {
			return nil, err
		}
	}
	if opts.Checkpoints != "" {
		ck, err := openCheckpoints(opts.Checkpoints, opts, w.seq, w.prev, w.path)
		if err != nil {
			if w.f != nil {
				w.f.Close()
			}
			return nil, err
		}
		w.ck = ck
	}
	go w.run()
	return w, nil
}

func (w *Writer) open() error {
	f, err := os.OpenFile(w.path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	last, size, err := lastLine(f)
	if err != nil {
		f.Close()
		return fmt.Errorf("audit log %s: %w", w.path, err)
	}
	if last != nil {
		var h header
		if err := json.Unmarshal(last, &h); err != nil {
			f.Close()
			return fmt.Errorf("audit log %s: last record does not parse: %w", w.path, err)
		}
		w.seq, w.prev, w.hexPrev = h.Seq, h.Hash, false
		if h.Mac != "" {
			w.prev = h.Mac
		}
		if (h.Mac != "") != (len(w.opts.Key) > 0) {
			// Keyed and unkeyed records do not share a file: the old
			// file becomes a rotated one and the chain goes on in a new
			// file (verify each series as it is).
			w.f, w.size, w.from = f, size, firstSeq(f, w.seq)
			w.bw = bufio.NewWriterSize(f, 64<<10)
			return w.rotate()
		}
	}
	w.f, w.bw, w.size, w.from = f, bufio.NewWriterSize(f, 64<<10), size, w.seq+1
	return nil
}

// lastLine returns the last non-empty line of f and f's size.
func lastLine(f *os.File) ([]byte, int64, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, 0, err
	}
	size := st.Size()
	if size == 0 {
		return nil, 0, nil
	}
	// Records are small; read the tail, growing the window if needed.
	for window := int64(64 << 10); ; window *= 4 {
		start := max(size-window, 0)
		buf := make([]byte, size-start)
		if _, err := f.ReadAt(buf, start); err != nil && !errors.Is(err, io.EOF) {
			return nil, 0, err
		}
		buf = bytes.TrimRight(buf, "\n")
		if i := bytes.LastIndexByte(buf, '\n'); i >= 0 {
			return buf[i+1:], size, nil
		}
		if start == 0 {
			return buf, size, nil
		}
	}
}

func hashLine(line []byte) string {
	h := sha256.Sum256(line)
	return hex.EncodeToString(h[:])
}

// sumLine is the chain value of a record: its HMAC under key, or its
// SHA-256 without one.
func sumLine(key, line []byte) string {
	if len(key) == 0 {
		return hashLine(line)
	}
	m := hmac.New(sha256.New, key)
	m.Write(line)
	return hex.EncodeToString(m.Sum(nil))
}

// Log queues an event. It never blocks unless Options.Block is set; a
// dropped event is counted through Options.Dropped.
func (w *Writer) Log(e Event) {
	w.closing.RLock()
	defer w.closing.RUnlock()
	if w.closing.closed {
		if w.opts.Dropped != nil {
			w.opts.Dropped()
		}
		return
	}
	if w.opts.Block {
		select {
		case w.queue <- e:
		case <-w.done:
		}
	} else {
		select {
		case w.queue <- e:
		default:
			if w.opts.Dropped != nil {
				w.opts.Dropped()
			}
		}
	}
	if len(w.queue) > cap(w.queue)/2 {
		select {
		case w.hurry <- struct{}{}:
		default:
		}
	}
}

// Err returns the first write error (the log stops at it).
func (w *Writer) Err() error {
	if p := w.err.Load(); p != nil {
		return *p
	}
	return nil
}

// Close writes what is queued and closes the file.
func (w *Writer) Close() error {
	w.closeOnce.Do(func() {
		w.closing.Lock()
		w.closing.closed = true
		close(w.queue)
		w.closing.Unlock()
		select {
		case w.hurry <- struct{}{}: // a batch wait ends now
		default:
		}
	})
	<-w.done
	return w.Err()
}

func (w *Writer) run() {
	defer close(w.done)
	defer func() {
		if w.Err() == nil {
			if err := w.checkpoint(); err != nil {
				w.err.Store(&err)
			}
		}
		_ = w.flush()
		if w.f != nil {
			_ = w.f.Close()
		}
		w.ck.close()
	}()
	// Records reach the file within FlushDelay: a busy gateway writes
	// many records per system call instead of one each. The first record
	// of a batch wakes the writer; the records that follow it within
	// FlushDelay are queued without waking it (a goroutine woken at every
	// statement costs more than the record), and are written and flushed
	// together, sooner when the queue is half full.
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		select {
		case e, ok := <-w.queue:
			if !ok {
				return
			}
			w.handle(e)
		case <-w.ck.tick():
			if w.Err() == nil {
				if err := w.checkpoint(); err != nil {
					w.err.Store(&err)
				}
			}
			continue
		}
		timer.Reset(w.opts.FlushDelay)
		select {
		case <-timer.C:
		case <-w.hurry:
			timer.Stop()
		}
		for more := true; more; {
			select {
			case e, ok := <-w.queue:
				if !ok {
					return
				}
				w.handle(e)
			default:
				more = false
			}
		}
		if err := w.flush(); err != nil {
			w.fail(err)
		}
	}
}

// handle writes one record (none after the first write error).
func (w *Writer) handle(e Event) {
	if w.Err() != nil {
		return
	}
	if err := w.write(e); err != nil {
		w.fail(err)
	}
}

func (w *Writer) flush() error {
	if w.tee != nil {
		if err := w.tee.Flush(); err != nil {
			return err
		}
	}
	if w.bw != nil {
		return w.bw.Flush()
	}
	return nil
}

func (w *Writer) write(e Event) error {
	h := header{Seq: w.seq + 1, at: w.opts.Now(), Prev: w.prev, Type: e.Type}
	if w.hexPrev {
		h.prevHex = w.prevHex[:]
	}
	if w.ck != nil {
		n := w.ck.n
		h.Ckpt = &n
	}
	line, err := encodeTo(w.line[:0], h, e.Fields, e.Pairs)
	if err != nil {
		return err
	}
	if w.bw != nil && w.opts.MaxBytes > 0 && w.size > 0 && w.size+int64(len(line))+1 > w.opts.MaxBytes {
		if err := w.rotate(); err != nil {
			return err
		}
	}
	var sum [sha256.Size * 2]byte
	w.sumTo(&sum, line)
	field := `,"hash":"`
	if len(w.opts.Key) > 0 {
		field = `,"mac":"`
	}
	line = append(line[:len(line)-1], field...)
	line = append(line, sum[:]...)
	line = append(line, '"', '}', '\n')
	if cap(line) <= maxKeptLine {
		w.line = line[:0] // the next record's buffer
	} else {
		w.line = nil
	}
	if w.bw != nil {
		if _, err := w.bw.Write(line); err != nil {
			return err
		}
	}
	if w.tee != nil {
		if _, err := w.tee.Write(line); err != nil {
			return err
		}
	}
	w.seq++
	w.prevHex, w.hexPrev = sum, true
	w.size += int64(len(line))
	if w.ck != nil && w.ck.first == "" {
		w.ck.covered(w.seq, string(sum[:]))
	}
	if w.ck.due(w.seq) {
		return w.checkpoint()
	}
	return nil
}

// maxKeptLine is the largest record buffer the writer keeps for the
// next record.
const maxKeptLine = 64 << 10

// sumTo writes the chain value of a record line, hex-encoded, to dst:
// its HMAC under the key (one HMAC state kept by the writer), or its
// SHA-256 without one. sumLine is the same, as a string.
func (w *Writer) sumTo(dst *[sha256.Size * 2]byte, line []byte) {
	if len(w.opts.Key) == 0 {
		sum := sha256.Sum256(line)
		hex.Encode(dst[:], sum[:])
		return
	}
	if w.mac == nil {
		w.mac = hmac.New(sha256.New, w.opts.Key)
	}
	w.mac.Reset()
	w.mac.Write(line)
	hex.Encode(dst[:], w.mac.Sum(w.macSum[:0]))
}

// head is the last record's chain value.
func (w *Writer) head() string {
	if w.hexPrev {
		w.prev, w.hexPrev = string(w.prevHex[:]), false
	}
	return w.prev
}

// fail stops the log at its first write error.
func (w *Writer) fail(err error) { w.err.Store(&err) }

// rotate renames the current file and starts a new one; the chain goes on.
func (w *Writer) rotate() error {
	if err := w.bw.Flush(); err != nil {
		return err
	}
	if err := w.f.Close(); err != nil {
		return err
	}
	if err := os.Rename(w.path, fmt.Sprintf("%s.%d-%d", w.path, w.from, w.seq)); err != nil {
		return err
	}
	f, err := os.OpenFile(w.path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	w.f, w.bw, w.size, w.from = f, bufio.NewWriterSize(f, 64<<10), 0, w.seq+1
	return nil
}

// encode writes the header fields first, then the event's, as one JSON
// object; event fields cannot replace header fields.
func encode(h header, fields map[string]any, pairs []Field) ([]byte, error) {
	return encodeTo(make([]byte, 0, 256), h, fields, pairs)
}

// encodeTo is encode appending to out. A header without Time writes at
// in UTC as RFC 3339 with nanoseconds, as Time would hold it.
func encodeTo(out []byte, h header, fields map[string]any, pairs []Field) ([]byte, error) {
	out = append(out, `{"seq":`...)
	out = strconv.AppendUint(out, h.Seq, 10)
	out = append(out, `,"time":`...)
	if h.Time == "" {
		out = append(out, '"')
		out = h.at.UTC().AppendFormat(out, time.RFC3339Nano)
		out = append(out, '"')
	} else {
		out = appendString(out, h.Time)
	}
	out = append(out, `,"prev":`...)
	if h.prevHex != nil {
		out = append(out, '"')
		out = append(out, h.prevHex...)
		out = append(out, '"')
	} else {
		out = appendString(out, h.Prev)
	}
	out = append(out, `,"type":`...)
	out = appendString(out, h.Type)
	if h.Ckpt != nil {
		out = append(out, `,"ckpt":`...)
		out = strconv.AppendUint(out, *h.Ckpt, 10)
	}
	if len(fields) > 0 || !slices.IsSortedFunc(pairs, func(a, b Field) int { return strings.Compare(a.Key, b.Key) }) {
		// One sorted list of both.
		all := slices.Clone(pairs)
		for k, v := range fields {
			all = append(all, Value(k, v))
		}
		slices.SortStableFunc(all, func(a, b Field) int { return strings.Compare(a.Key, b.Key) })
		pairs = all
	}
	for i, f := range pairs {
		if i > 0 && f.Key == pairs[i-1].Key {
			return nil, fmt.Errorf("audit: field %q given twice", f.Key)
		}
		name := f.Key
		switch name {
		case "seq", "time", "prev", "type", "hash", "mac", "ckpt":
			name = "event_" + name
		}
		out = append(out, ',')
		out = appendString(out, name)
		out = append(out, ':')
		if f.V == nil {
			out = appendString(out, f.S)
			continue
		}
		var err error
		if out, err = appendValue(out, f.V); err != nil {
			return nil, err
		}
	}
	return append(out, '}'), nil
}

// appendValue encodes the value types events carry without reflection;
// others go through encoding/json.
func appendValue(out []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case null:
		return append(out, "null"...), nil
	case string:
		return appendString(out, x), nil
	case bool:
		return strconv.AppendBool(out, x), nil
	case int:
		return strconv.AppendInt(out, int64(x), 10), nil
	case int64:
		return strconv.AppendInt(out, x, 10), nil
	case uint32:
		return strconv.AppendUint(out, uint64(x), 10), nil
	case uint64:
		return strconv.AppendUint(out, x, 10), nil
	case float64:
		return appendFloat(out, x)
	case []string:
		out = append(out, '[')
		for i, s := range x {
			if i > 0 {
				out = append(out, ',')
			}
			out = appendString(out, s)
		}
		return append(out, ']'), nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(out, b...), nil
}

// appendFloat writes f as encoding/json does: the shortest decimal
// that reads back as f, in exponent form below 1e-6 and from 1e21 on
// (exponent without a leading zero); NaN and infinities are an error.
func appendFloat(out []byte, f float64) ([]byte, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, fmt.Errorf("audit: unsupported value %v", f)
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	out = strconv.AppendFloat(out, f, format, -1, 64)
	if n := len(out); format == 'e' && n >= 4 && out[n-4] == 'e' && out[n-3] == '-' && out[n-2] == '0' {
		out[n-2] = out[n-1] // e-07 → e-7
		out = out[:n-1]
	}
	return out, nil
}

// appendString writes s as a JSON string: quotes, backslashes and control
// characters escaped, invalid UTF-8 replaced (as encoding/json does).
// Bytes that need nothing are copied in runs.
func appendString(out []byte, s string) []byte {
	const hex = "0123456789abcdef"
	out = append(out, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			out = append(out, s[start:i]...)
			switch {
			case c == '"' || c == '\\':
				out = append(out, '\\', c)
			case c == '\n':
				out = append(out, '\\', 'n')
			case c == '\r':
				out = append(out, '\\', 'r')
			case c == '\t':
				out = append(out, '\\', 't')
			default:
				out = append(out, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			out = append(out, s[start:i]...)
			out = append(out, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			out = append(out, s[start:i]...)
			out = append(out, '\\', 'u', '2', '0', '2', hex[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	out = append(out, s[start:]...)
	return append(out, '"')
}
