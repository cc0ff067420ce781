package wirefmt

import (
	"encoding/binary"
	"errors"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgproto3"
)

// A PostgreSQL stored result is the RowDescription (for a simple Query,
// or an Execute whose portal was described in the same batch), the
// DataRows and the CommandComplete the client received, as the wire
// messages themselves behind a two-byte header (PGMagic, PGVersion).

// Format names of the PostgreSQL variants (stmt.Variant.Format).
const (
	PGSimple = "pg/simple"
	PGBind   = "pg/bind"
)

// PGMagic and PGVersion open a PostgreSQL stored result.
const (
	PGMagic   = 'P'
	PGVersion = 1
)

// ErrBadResult marks a stored result that does not decode.
var ErrBadResult = errors.New("wirefmt: malformed stored result")

// PGResult is a decoded stored result: slices of the payload, each whole
// wire messages.
type PGResult struct {
	Desc []byte // the RowDescription message (nil: none recorded)
	Rows []byte // the DataRow messages, one after the other
	N    int64  // how many
	Done []byte // the CommandComplete message
	Tag  []byte // its command tag
	Size int64  // the rows' size as the result bounds count it (whole messages)
}

// DecodePG checks and splits a stored result: a header, at most one
// RowDescription first, DataRows, and one CommandComplete last, each a
// well-formed message.
func DecodePG(p []byte) (PGResult, error) {
	var r PGResult
	if len(p) < 2 || p[0] != PGMagic || p[1] != PGVersion {
		return r, ErrBadResult
	}
	all := p
	p = p[2:]
	var dr pgproto3.DataRow
	for len(p) > 0 {
		if r.Done != nil {
			return r, ErrBadResult // nothing follows the CommandComplete
		}
		if len(p) < 5 {
			return r, ErrBadResult
		}
		n := binary.BigEndian.Uint32(p[1:5])
		if n < 4 || uint64(n)+1 > uint64(len(p)) {
			return r, ErrBadResult
		}
		msg, body := p[:n+1], p[5:n+1]
		at := len(all) - len(p)
		p = p[n+1:]
		switch msg[0] {
		case 'T':
			if r.Desc != nil || r.N > 0 {
				return r, ErrBadResult
			}
			var rd pgproto3.RowDescription
			if err := rd.Decode(body); err != nil {
				return r, ErrBadResult
			}
			r.Desc = msg
		case 'D':
			if err := dr.Decode(body); err != nil {
				return r, ErrBadResult
			}
			if r.N == 0 {
				r.Rows = all[at:at]
			}
			r.Rows = r.Rows[:len(r.Rows)+len(msg)]
			r.N++
			r.Size += int64(len(msg))
		case 'C':
			var cc pgproto3.CommandComplete
			if err := cc.Decode(body); err != nil {
				return r, ErrBadResult
			}
			r.Done, r.Tag = msg, cc.CommandTag
		default:
			return r, ErrBadResult
		}
	}
	if r.Done == nil {
		return r, ErrBadResult
	}
	return r, nil
}

// NextRow is the length of the whole DataRow message at the start of
// rows (a decoded PGResult.Rows).
func NextRow(rows []byte) int { return int(binary.BigEndian.Uint32(rows[1:])) + 1 }

// RawMessages are wire messages sent to the client as they are.
type RawMessages []byte

// Backend marks RawMessages as backend messages.
func (RawMessages) Backend() {}

// Decode is not supported: RawMessages are only sent.
func (RawMessages) Decode([]byte) error { return errors.New("wirefmt: raw messages are not decoded") }

// Encode appends the messages.
func (m RawMessages) Encode(dst []byte) ([]byte, error) { return append(dst, m...), nil }

// BindKey is the part of the variant of an Execute that its Bind b of a
// statement parsed with parameter types oids decides: the result
// formats, the parameter types the client named (the same value read as
// another type gives another result: 1.1 * 3 as float8 or numeric), and
// the parameter values with their formats.
func BindKey(b *pgproto3.Bind, oids []uint32) (format string, params []byte) {
	var p []byte
	p = binary.BigEndian.AppendUint16(p, uint16(len(oids)))
	for _, o := range oids {
		p = binary.BigEndian.AppendUint32(p, o)
	}
	p = binary.BigEndian.AppendUint16(p, uint16(len(b.ParameterFormatCodes)))
	for _, c := range b.ParameterFormatCodes {
		p = binary.BigEndian.AppendUint16(p, uint16(c))
	}
	p = binary.BigEndian.AppendUint16(p, uint16(len(b.Parameters)))
	for _, v := range b.Parameters {
		if v == nil {
			p = binary.BigEndian.AppendUint32(p, 0xffffffff)
			continue
		}
		p = binary.BigEndian.AppendUint32(p, uint32(len(v)))
		p = append(p, v...)
	}
	return PGBind + ":" + FormatCodes(b.ResultFormatCodes), p
}

// FormatCodes names result formats: "t" all text, "b" all binary, or
// the list.
func FormatCodes(codes []int16) string {
	switch {
	case len(codes) == 0 || len(codes) == 1 && codes[0] == 0:
		return "t"
	case len(codes) == 1 && codes[0] == 1:
		return "b"
	}
	var b strings.Builder
	for i, c := range codes {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(int(c)))
	}
	return b.String()
}
