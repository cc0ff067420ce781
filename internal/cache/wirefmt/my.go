package wirefmt

import (
	"encoding/binary"

	"github.com/floe-db/floe/internal/stmt"
	"github.com/floe-db/floe/internal/wire/mysqlwire"
)

// A MySQL stored result is what the client received, independent of the
// client's EOF dialect: the column-count packet, the column definitions,
// the rows (text or binary protocol, as the variant's format says) and
// the final warnings and status, in frames (AppendFrame) behind a
// two-byte header (MyMagic, MyVersion). The status flags that describe
// the session (MySessionStatus) come from the session at replay, never
// from the record.

// Format names of the MySQL variants (stmt.Variant.Format).
const (
	MyText   = "mysql/text"
	MyBinary = "mysql/binary"
)

// MyMagic and MyVersion open a MySQL stored result.
const (
	MyMagic   = 'M'
	MyVersion = 1
)

// Frame kinds of a MySQL stored result.
const (
	FrameCount  byte = 'N' // the column-count packet
	FrameColumn byte = 'F' // a column definition
	FrameRow    byte = 'R' // a row
	FrameEnd    byte = 'E' // warnings and status (2 + 2 bytes, little-endian)
)

// MySessionStatus are the status flags that describe the session rather
// than the statement: they come from the session at replay.
const MySessionStatus = mysqlwire.StatusInTrans | mysqlwire.StatusAutocommit | mysqlwire.StatusNoBackslashEsc | mysqlwire.StatusInTransReadonly

// MyResult is a decoded stored result (slices of the payload).
type MyResult struct {
	Count    []byte
	Columns  [][]byte
	Rows     [][]byte
	Warnings uint16
	Size     int64 // the rows' size as the result bounds count it (packet + header)
}

// AppendFrame appends one frame: kind, a 4-byte big-endian length, body.
func AppendFrame(b []byte, kind byte, body []byte) []byte {
	b = append(b, kind)
	b = binary.BigEndian.AppendUint32(b, uint32(len(body)))
	return append(b, body...)
}

// AppendEnd appends the end frame of warnings and status.
func AppendEnd(b []byte, warnings, status uint16) []byte {
	var e [4]byte
	binary.LittleEndian.PutUint16(e[:], warnings)
	binary.LittleEndian.PutUint16(e[2:], status)
	return AppendFrame(b, FrameEnd, e[:])
}

// DecodeMy checks and splits a stored result: the header, one
// column-count packet, as many column definitions as it says, rows, and
// one end frame last.
func DecodeMy(p []byte) (MyResult, error) {
	var r MyResult
	if len(p) < 2 || p[0] != MyMagic || p[1] != MyVersion {
		return r, ErrBadResult
	}
	p = p[2:]
	want := -1
	ended := false
	for len(p) > 0 {
		if ended || len(p) < 5 {
			return r, ErrBadResult
		}
		kind := p[0]
		n := binary.BigEndian.Uint32(p[1:5])
		if uint64(n) > uint64(len(p)-5) {
			return r, ErrBadResult
		}
		body := p[5 : 5+n]
		p = p[5+n:]
		switch kind {
		case FrameCount:
			if want >= 0 {
				return r, ErrBadResult
			}
			rd := mysqlwire.NewReader(body)
			c, null := rd.LenInt()
			if rd.Err() != nil || null || rd.Len() != 0 || c == 0 || c > 4096 {
				return r, ErrBadResult
			}
			want, r.Count = int(c), body
		case FrameColumn:
			if want < 0 || len(r.Columns) >= want || len(r.Rows) > 0 {
				return r, ErrBadResult
			}
			if _, err := mysqlwire.ParseColumn(body); err != nil {
				return r, ErrBadResult
			}
			r.Columns = append(r.Columns, body)
		case FrameRow:
			if want < 0 || len(r.Columns) != want || len(body) == 0 {
				return r, ErrBadResult
			}
			r.Rows = append(r.Rows, body)
			r.Size += int64(len(body)) + 4
		case FrameEnd:
			if want < 0 || len(r.Columns) != want || len(body) != 4 {
				return r, ErrBadResult
			}
			r.Warnings = binary.LittleEndian.Uint16(body)
			ended = true
		default:
			return r, ErrBadResult
		}
	}
	if !ended {
		return r, ErrBadResult
	}
	return r, nil
}

// ExecuteParams is the parameter part of the key of a COM_STMT_EXECUTE:
// the bound types, the NULL bitmap and the values, encoded the same
// whether the client sent the types with this packet or before.
func ExecuteParams(ex *mysqlwire.Execute, types []uint16) []byte {
	return mysqlwire.AppendExecute(nil, &mysqlwire.Execute{Iterations: 1, Nulls: ex.Nulls, Types: types, Values: ex.Values})
}

// ReplayMy writes a stored result to the client as a result set with
// the session's status flags (status, already limited to
// MySessionStatus), counting its rows on st as relayed rows are counted
// (the result bounds were checked before the hit). The MySQL relay and
// the embedded engine's MySQL front both answer a hit with it.
func ReplayMy(c *mysqlwire.Conn, st *stmt.Statement, r MyResult, status uint16) error {
	st.Responded()
	st.NextResult()
	if err := c.WritePacket(r.Count); err != nil {
		return err
	}
	for _, col := range r.Columns {
		if err := c.WritePacket(col); err != nil {
			return err
		}
	}
	if err := c.WriteEOF(true, 0, status); err != nil {
		return err
	}
	for _, row := range r.Rows {
		_ = st.Row(len(row) + 4)
		st.AddRows(1)
		if err := c.WritePacket(row); err != nil {
			return err
		}
	}
	return c.WriteEOF(false, r.Warnings, status)
}
