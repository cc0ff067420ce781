package mysqlwire

import (
	"encoding/binary"
	"errors"
)

// ErrMalformed reports a packet that does not decode.
var ErrMalformed = errors.New("malformed packet")

// Reader decodes the fields of one packet payload with bounds checks;
// the first failure sticks and is reported by Err.
type Reader struct {
	b   []byte
	err error
}

// NewReader reads b.
func NewReader(b []byte) *Reader { return &Reader{b: b} }

// Err returns ErrMalformed if any read ran past the end.
func (r *Reader) Err() error { return r.err }

// Len returns the bytes left.
func (r *Reader) Len() int { return len(r.b) }

// Rest returns the remaining bytes.
func (r *Reader) Rest() []byte { b := r.b; r.b = nil; return b }

func (r *Reader) fail() { r.err = ErrMalformed; r.b = nil }

// Bytes reads n bytes.
func (r *Reader) Bytes(n int) []byte {
	if n < 0 || len(r.b) < n {
		r.fail()
		return nil
	}
	b := r.b[:n:n]
	r.b = r.b[n:]
	return b
}

// Byte reads one byte.
func (r *Reader) Byte() byte {
	b := r.Bytes(1)
	if b == nil {
		return 0
	}
	return b[0]
}

// Uint16 reads a little-endian 2-byte integer.
func (r *Reader) Uint16() uint16 {
	b := r.Bytes(2)
	if b == nil {
		return 0
	}
	return binary.LittleEndian.Uint16(b)
}

// Uint32 reads a little-endian 4-byte integer.
func (r *Reader) Uint32() uint32 {
	b := r.Bytes(4)
	if b == nil {
		return 0
	}
	return binary.LittleEndian.Uint32(b)
}

// Uint64 reads a little-endian 8-byte integer.
func (r *Reader) Uint64() uint64 {
	b := r.Bytes(8)
	if b == nil {
		return 0
	}
	return binary.LittleEndian.Uint64(b)
}

// LenInt reads a length-encoded integer; null reports the 0xFB NULL marker.
func (r *Reader) LenInt() (n uint64, null bool) {
	c := r.Byte()
	switch c {
	case 0xfb:
		return 0, true
	case 0xfc:
		return uint64(r.Uint16()), false
	case 0xfd:
		b := r.Bytes(3)
		if b == nil {
			return 0, false
		}
		return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16, false
	case 0xfe:
		return r.Uint64(), false
	case 0xff:
		r.fail()
		return 0, false
	}
	return uint64(c), false
}

// LenBytes reads a length-encoded string.
func (r *Reader) LenBytes() (b []byte, null bool) {
	n, null := r.LenInt()
	if null || r.err != nil {
		return nil, null
	}
	if n > uint64(len(r.b)) {
		r.fail()
		return nil, false
	}
	return r.Bytes(int(n)), false
}

// NulString reads a NUL-terminated string.
func (r *Reader) NulString() []byte {
	for i, c := range r.b {
		if c == 0 {
			s := r.b[:i:i]
			r.b = r.b[i+1:]
			return s
		}
	}
	r.fail()
	return nil
}

// AppendLenInt appends a length-encoded integer.
func AppendLenInt(b []byte, n uint64) []byte {
	switch {
	case n < 251:
		return append(b, byte(n))
	case n <= 0xffff:
		return append(b, 0xfc, byte(n), byte(n>>8))
	case n <= 0xffffff:
		return append(b, 0xfd, byte(n), byte(n>>8), byte(n>>16))
	}
	return binary.LittleEndian.AppendUint64(append(b, 0xfe), n)
}

// AppendLenBytes appends a length-encoded string.
func AppendLenBytes(b, s []byte) []byte {
	return append(AppendLenInt(b, uint64(len(s))), s...)
}

// AppendLenString appends a length-encoded string.
func AppendLenString(b []byte, s string) []byte {
	return append(AppendLenInt(b, uint64(len(s))), s...)
}

// Packet headers.
const (
	HeaderOK        byte = 0x00
	HeaderLocalFile byte = 0xfb
	HeaderEOF       byte = 0xfe
	HeaderErr       byte = 0xff
)

// Server status flags.
const (
	StatusInTrans         uint16 = 0x0001
	StatusAutocommit      uint16 = 0x0002
	StatusMoreResults     uint16 = 0x0008
	StatusCursorExists    uint16 = 0x0040
	StatusLastRowSent     uint16 = 0x0080
	StatusNoBackslashEsc  uint16 = 0x0200
	StatusInTransReadonly uint16 = 0x2000
)

// OK is an OK packet (or, with header 0xFE, the end of a result set when
// CLIENT_DEPRECATE_EOF is on).
type OK struct {
	AffectedRows uint64
	LastInsertID uint64
	Status       uint16
	Warnings     uint16
	Info         string
}

// AppendOK encodes an OK packet with the given header (0x00 or 0xFE).
func AppendOK(b []byte, header byte, ok OK) []byte {
	b = append(b, header)
	b = AppendLenInt(b, ok.AffectedRows)
	b = AppendLenInt(b, ok.LastInsertID)
	b = binary.LittleEndian.AppendUint16(b, ok.Status)
	b = binary.LittleEndian.AppendUint16(b, ok.Warnings)
	return append(b, ok.Info...)
}

// ParseOK decodes an OK packet (either header) of a protocol-41 session
// without session tracking.
func ParseOK(p []byte) (OK, error) {
	r := NewReader(p)
	r.Byte()
	var ok OK
	ok.AffectedRows, _ = r.LenInt()
	ok.LastInsertID, _ = r.LenInt()
	ok.Status = r.Uint16()
	ok.Warnings = r.Uint16()
	ok.Info = string(r.Rest())
	return ok, r.Err()
}

// AppendEOF encodes a (pre-4.1-style deprecated, still common) EOF packet.
func AppendEOF(b []byte, warnings, status uint16) []byte {
	b = append(b, HeaderEOF)
	b = binary.LittleEndian.AppendUint16(b, warnings)
	return binary.LittleEndian.AppendUint16(b, status)
}

// ParseEOF decodes an EOF packet.
func ParseEOF(p []byte) (warnings, status uint16, err error) {
	if len(p) < 5 || p[0] != HeaderEOF {
		return 0, 0, ErrMalformed
	}
	return binary.LittleEndian.Uint16(p[1:]), binary.LittleEndian.Uint16(p[3:]), nil
}

// IsEOF reports whether p is an EOF packet, or the OK packet that replaces
// it at the end of a result set (same header; rows can begin with 0xFE
// only when they are at least 16 MiB long).
func IsEOF(p []byte) bool { return len(p) > 0 && p[0] == HeaderEOF && len(p) < 0xffffff }

// Column is one column definition (Protocol::ColumnDefinition41).
type Column struct {
	Schema, Table, OrgTable, Name, OrgName string
	Charset                                uint16
	Length                                 uint32
	Type                                   byte
	Flags                                  uint16
	Decimals                               byte
}

// Column flags.
const (
	FlagNotNull  uint16 = 1
	FlagPriKey   uint16 = 2
	FlagBlob     uint16 = 16
	FlagUnsigned uint16 = 32
	FlagBinary   uint16 = 128
)

// Character sets used in column definitions.
const (
	CharsetBinary  uint16 = 63
	CharsetUTF8MB4 uint16 = 45 // utf8mb4_general_ci
)

// AppendColumn encodes a column definition.
func AppendColumn(b []byte, c Column) []byte {
	b = AppendLenString(b, "def")
	b = AppendLenString(b, c.Schema)
	b = AppendLenString(b, c.Table)
	b = AppendLenString(b, c.OrgTable)
	b = AppendLenString(b, c.Name)
	b = AppendLenString(b, c.OrgName)
	b = append(b, 0x0c)
	b = binary.LittleEndian.AppendUint16(b, c.Charset)
	b = binary.LittleEndian.AppendUint32(b, c.Length)
	b = append(b, c.Type)
	b = binary.LittleEndian.AppendUint16(b, c.Flags)
	return append(b, c.Decimals, 0, 0)
}

// ParseColumn decodes a column definition.
func ParseColumn(p []byte) (Column, error) {
	r := NewReader(p)
	var c Column
	r.LenBytes() // catalog
	s, _ := r.LenBytes()
	c.Schema = string(s)
	s, _ = r.LenBytes()
	c.Table = string(s)
	s, _ = r.LenBytes()
	c.OrgTable = string(s)
	s, _ = r.LenBytes()
	c.Name = string(s)
	s, _ = r.LenBytes()
	c.OrgName = string(s)
	r.LenInt()
	c.Charset = r.Uint16()
	c.Length = r.Uint32()
	c.Type = r.Byte()
	c.Flags = r.Uint16()
	c.Decimals = r.Byte()
	return c, r.Err()
}
