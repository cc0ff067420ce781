package dataapi

import (
	"bufio"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/extensions"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// Format is an output format of the data API.
type Format string

// The formats, by the names ?format= and `floe query --format` accept.
const (
	FormatJSON    Format = "json"
	FormatNDJSON  Format = "ndjson"
	FormatCSV     Format = "csv"
	FormatArrow   Format = "arrow"
	FormatParquet Format = "parquet"
)

// MediaType is the Content-Type of a format.
func (f Format) MediaType() string {
	switch f {
	case FormatNDJSON:
		return "application/x-ndjson"
	case FormatCSV:
		return "text/csv; charset=utf-8"
	case FormatArrow:
		return "application/vnd.apache.arrow.stream"
	case FormatParquet:
		return "application/vnd.apache.parquet"
	}
	return "application/json"
}

// ParseFormat accepts a format name.
func ParseFormat(s string) (Format, bool) {
	switch f := Format(strings.ToLower(s)); f {
	case FormatJSON, FormatNDJSON, FormatCSV, FormatArrow, FormatParquet:
		return f, true
	}
	return "", false
}

// formatOfMedia maps an Accept media type to a format.
func formatOfMedia(m string) (Format, bool) {
	switch strings.ToLower(strings.TrimSpace(m)) {
	case "application/json", "*/*", "application/*":
		return FormatJSON, true
	case "application/x-ndjson", "application/ndjson", "application/jsonl", "application/x-jsonlines":
		return FormatNDJSON, true
	case "text/csv":
		return FormatCSV, true
	case "application/vnd.apache.arrow.stream", "application/vnd.apache.arrow":
		return FormatArrow, true
	case "application/vnd.apache.parquet", "application/x-parquet", "application/parquet":
		return FormatParquet, true
	}
	return "", false
}

// ResultWriter writes a result in one format. Begin comes first and may
// refuse the schema before any byte is written; Write takes each batch;
// End finishes a complete result, Fail a result cut short by e.
type ResultWriter interface {
	Begin(schema *arrow.Schema) error
	Write(b arrow.RecordBatch) error
	End() error
	Fail(e *Error)
}

// NewResultWriter returns a writer of format f onto w.
func NewResultWriter(f Format, w io.Writer) ResultWriter {
	switch f {
	case FormatNDJSON:
		return &jsonWriter{w: bufio.NewWriterSize(w, 64<<10), lines: true}
	case FormatCSV:
		return &csvWriter{w: csv.NewWriter(w)}
	case FormatArrow:
		return &arrowWriter{w: w}
	case FormatParquet:
		return &parquetWriter{w: w}
	}
	return &jsonWriter{w: bufio.NewWriterSize(w, 64<<10)}
}

// jsonWriter writes a JSON array of objects, or one object per line.
type jsonWriter struct {
	w     *bufio.Writer
	lines bool
	keys  [][]byte // each column's `"name":` with its separator
	rows  int64
	buf   []byte
}

func (j *jsonWriter) Begin(s *arrow.Schema) error {
	for i, f := range s.Fields() {
		k := []byte{','}
		if i == 0 {
			k = []byte{'{'}
		}
		k = appendJSONString(k, f.Name)
		j.keys = append(j.keys, append(k, ':'))
	}
	if !j.lines {
		_, err := j.w.WriteString("[")
		return err
	}
	return nil
}

func (j *jsonWriter) Write(b arrow.RecordBatch) error {
	cols := b.Columns()
	for r := 0; r < int(b.NumRows()); r++ {
		buf := j.buf[:0]
		if !j.lines && j.rows > 0 {
			buf = append(buf, ',')
		}
		if len(cols) == 0 {
			buf = append(buf, '{')
		}
		for i, c := range cols {
			buf = append(buf, j.keys[i]...)
			buf = appendJSONValue(buf, c, r)
		}
		buf = append(buf, '}')
		if j.lines {
			buf = append(buf, '\n')
		}
		j.rows++
		j.buf = buf
		if _, err := j.w.Write(buf); err != nil {
			return err
		}
	}
	return j.w.Flush()
}

func (j *jsonWriter) End() error {
	if !j.lines {
		if _, err := j.w.WriteString("]\n"); err != nil {
			return err
		}
	}
	return j.w.Flush()
}

// Fail ends NDJSON with an error object; a JSON array is left open, so
// no JSON parser takes a cut result for a whole one.
func (j *jsonWriter) Fail(e *Error) {
	if j.lines {
		b, _ := json.Marshal(map[string]*Error{"error": e})
		_, _ = j.w.Write(append(b, '\n'))
	}
	_ = j.w.Flush()
}

// csvWriter writes a header line and one line per row; NULL is empty.
type csvWriter struct {
	w      *csv.Writer
	record []string
	buf    []byte
}

func (c *csvWriter) Begin(s *arrow.Schema) error {
	names := make([]string, s.NumFields())
	for i, f := range s.Fields() {
		names[i] = f.Name
	}
	c.record = make([]string, len(names))
	return c.w.Write(names)
}

func (c *csvWriter) Write(b arrow.RecordBatch) error {
	cols := b.Columns()
	for r := 0; r < int(b.NumRows()); r++ {
		for i, col := range cols {
			if col.IsNull(r) {
				c.record[i] = ""
				continue
			}
			c.buf = appendText(c.buf[:0], col, r)
			c.record[i] = string(c.buf)
		}
		if err := c.w.Write(c.record); err != nil {
			return err
		}
	}
	c.w.Flush()
	return c.w.Error()
}

func (c *csvWriter) End() error  { c.w.Flush(); return c.w.Error() }
func (c *csvWriter) Fail(*Error) { c.w.Flush() }

// arrowWriter writes the Arrow IPC stream format.
type arrowWriter struct {
	w  io.Writer
	iw *ipc.Writer
}

func (a *arrowWriter) Begin(s *arrow.Schema) error {
	a.iw = ipc.NewWriter(a.w, ipc.WithSchema(s), ipc.WithAllocator(memory.DefaultAllocator))
	return nil
}
func (a *arrowWriter) Write(b arrow.RecordBatch) error { return a.iw.Write(b) }
func (a *arrowWriter) End() error                      { return a.iw.Close() }

// Fail leaves out the end-of-stream marker.
func (a *arrowWriter) Fail(*Error) {}

// parquetWriter writes a Parquet file, one row group per batch. The file
// writer is made at the first batch (it writes the file's magic), so a
// refusal in Begin is still an error response.
type parquetWriter struct {
	w      io.Writer
	schema *arrow.Schema
	fw     *pqarrow.FileWriter
}

func parquetProps() (*parquet.WriterProperties, pqarrow.ArrowWriterProperties) {
	return parquet.NewWriterProperties(parquet.WithCompression(compress.Codecs.Snappy)),
		pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema())
}

func (p *parquetWriter) Begin(s *arrow.Schema) error {
	props, aprops := parquetProps()
	if _, err := pqarrow.ToParquet(s, props, aprops); err != nil {
		return &Error{Status: 422, Code: CodeUnrepresentable, Message: "the result cannot be written as Parquet: " + err.Error()}
	}
	p.schema = s
	return nil
}

func (p *parquetWriter) open() error {
	if p.fw != nil {
		return nil
	}
	props, aprops := parquetProps()
	fw, err := pqarrow.NewFileWriter(p.schema, p.w, props, aprops)
	p.fw = fw
	return err
}

func (p *parquetWriter) Write(b arrow.RecordBatch) error {
	if err := p.open(); err != nil {
		return err
	}
	return p.fw.Write(b)
}

func (p *parquetWriter) End() error {
	if err := p.open(); err != nil {
		return err
	}
	return p.fw.Close()
}

// Fail leaves out the file footer: the file does not open as Parquet.
func (p *parquetWriter) Fail(*Error) {}

// appendJSONValue appends row r of column a as a JSON value.
func appendJSONValue(dst []byte, a arrow.Array, r int) []byte {
	if a.IsNull(r) {
		return append(dst, "null"...)
	}
	switch c := a.(type) {
	case *array.Int8, *array.Int16, *array.Int32, *array.Int64,
		*array.Uint8, *array.Uint16, *array.Uint32, *array.Uint64, *array.Decimal128:
		return appendText(dst, a, r)
	case *array.Float32:
		return appendJSONFloat(dst, float64(c.Value(r)), 32)
	case *array.Float64:
		return appendJSONFloat(dst, c.Value(r), 64)
	case *array.Boolean:
		return strconv.AppendBool(dst, c.Value(r))
	case *array.String:
		return appendJSONString(dst, c.Value(r))
	case *extensions.JSONArray:
		s := c.Storage().(*array.String).Value(r)
		if json.Valid([]byte(s)) {
			return append(dst, s...)
		}
		return appendJSONString(dst, s)
	case *array.List:
		dst = append(dst, '[')
		start, end := c.ValueOffsets(r)
		vals := c.ListValues()
		for i := start; i < end; i++ {
			if i > start {
				dst = append(dst, ',')
			}
			dst = appendJSONValue(dst, vals, int(i))
		}
		return append(dst, ']')
	}
	return appendJSONString(dst, string(appendText(nil, a, r)))
}

func appendJSONFloat(dst []byte, f float64, bits int) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, `"NaN"`...)
	case math.IsInf(f, 1):
		return append(dst, `"Infinity"`...)
	case math.IsInf(f, -1):
		return append(dst, `"-Infinity"`...)
	}
	return strconv.AppendFloat(dst, f, 'g', -1, bits)
}

// AppendText appends the text of row r of column a (not NULL) as the
// CSV format writes it: numbers as digits, times in ISO 8601, intervals
// as ISO 8601 durations, binary in base64, lists as JSON.
func AppendText(dst []byte, a arrow.Array, r int) []byte { return appendText(dst, a, r) }

func appendText(dst []byte, a arrow.Array, r int) []byte {
	switch c := a.(type) {
	case *array.Int8:
		return strconv.AppendInt(dst, int64(c.Value(r)), 10)
	case *array.Int16:
		return strconv.AppendInt(dst, int64(c.Value(r)), 10)
	case *array.Int32:
		return strconv.AppendInt(dst, int64(c.Value(r)), 10)
	case *array.Int64:
		return strconv.AppendInt(dst, c.Value(r), 10)
	case *array.Uint8:
		return strconv.AppendUint(dst, uint64(c.Value(r)), 10)
	case *array.Uint16:
		return strconv.AppendUint(dst, uint64(c.Value(r)), 10)
	case *array.Uint32:
		return strconv.AppendUint(dst, uint64(c.Value(r)), 10)
	case *array.Uint64:
		return strconv.AppendUint(dst, c.Value(r), 10)
	case *array.Float32:
		return strconv.AppendFloat(dst, float64(c.Value(r)), 'g', -1, 32)
	case *array.Float64:
		return strconv.AppendFloat(dst, c.Value(r), 'g', -1, 64)
	case *array.Boolean:
		return strconv.AppendBool(dst, c.Value(r))
	case *array.String:
		return append(dst, c.Value(r)...)
	case *array.Binary:
		return base64.StdEncoding.AppendEncode(dst, c.Value(r))
	case *array.Decimal128:
		return append(dst, c.Value(r).ToString(c.DataType().(*arrow.Decimal128Type).Scale)...)
	case *array.Date32:
		return c.Value(r).ToTime().AppendFormat(dst, time.DateOnly)
	case *array.Time64:
		return c.Value(r).ToTime(arrow.Microsecond).AppendFormat(dst, "15:04:05.999999")
	case *array.Timestamp:
		tt := c.DataType().(*arrow.TimestampType)
		t := c.Value(r).ToTime(tt.Unit)
		if tt.TimeZone != "" {
			return t.AppendFormat(dst, "2006-01-02T15:04:05.999999Z07:00")
		}
		return t.AppendFormat(dst, "2006-01-02T15:04:05.999999")
	case *array.MonthDayNanoInterval:
		return appendInterval(dst, c.Value(r))
	case *extensions.UUIDArray:
		return append(dst, c.ValueStr(r)...)
	case *extensions.JSONArray:
		return append(dst, c.Storage().(*array.String).Value(r)...)
	case *array.List:
		return appendJSONValue(dst, a, r)
	}
	return append(dst, a.ValueStr(r)...)
}

// appendInterval writes an ISO 8601 duration (P1Y2M3DT4H5M6.5S).
func appendInterval(dst []byte, v arrow.MonthDayNanoInterval) []byte {
	dst = append(dst, 'P')
	if v.Months != 0 {
		dst = strconv.AppendInt(dst, int64(v.Months), 10)
		dst = append(dst, 'M')
	}
	if v.Days != 0 {
		dst = strconv.AppendInt(dst, int64(v.Days), 10)
		dst = append(dst, 'D')
	}
	if v.Nanoseconds != 0 || v.Months == 0 && v.Days == 0 {
		dst = append(dst, 'T')
		dst = strconv.AppendFloat(dst, float64(v.Nanoseconds)/1e9, 'f', -1, 64)
		dst = append(dst, 'S')
	}
	return dst
}

// appendJSONString appends s as a JSON string.
func appendJSONString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
