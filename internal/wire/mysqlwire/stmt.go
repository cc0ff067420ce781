package mysqlwire

import (
	"encoding/binary"
	"fmt"
	"math"
	"time"
)

// Column and parameter types.
const (
	TypeDecimal    byte = 0x00
	TypeTiny       byte = 0x01
	TypeShort      byte = 0x02
	TypeLong       byte = 0x03
	TypeFloat      byte = 0x04
	TypeDouble     byte = 0x05
	TypeNull       byte = 0x06
	TypeTimestamp  byte = 0x07
	TypeLongLong   byte = 0x08
	TypeInt24      byte = 0x09
	TypeDate       byte = 0x0a
	TypeTime       byte = 0x0b
	TypeDateTime   byte = 0x0c
	TypeYear       byte = 0x0d
	TypeVarchar    byte = 0x0f
	TypeBit        byte = 0x10
	TypeJSON       byte = 0xf5
	TypeNewDecimal byte = 0xf6
	TypeEnum       byte = 0xf7
	TypeSet        byte = 0xf8
	TypeTinyBlob   byte = 0xf9
	TypeMediumBlob byte = 0xfa
	TypeLongBlob   byte = 0xfb
	TypeBlob       byte = 0xfc
	TypeVarString  byte = 0xfd
	TypeString     byte = 0xfe
	TypeGeometry   byte = 0xff
)

// ParamUnsigned is set in a parameter type's high byte for unsigned integers.
const ParamUnsigned uint16 = 0x8000

// PrepareOK is the first packet of a COM_STMT_PREPARE response.
type PrepareOK struct {
	StatementID uint32
	Columns     uint16
	Params      uint16
	Warnings    uint16
}

// AppendPrepareOK encodes p.
func AppendPrepareOK(b []byte, p PrepareOK) []byte {
	b = append(b, HeaderOK)
	b = binary.LittleEndian.AppendUint32(b, p.StatementID)
	b = binary.LittleEndian.AppendUint16(b, p.Columns)
	b = binary.LittleEndian.AppendUint16(b, p.Params)
	b = append(b, 0)
	return binary.LittleEndian.AppendUint16(b, p.Warnings)
}

// ParsePrepareOK decodes a COM_STMT_PREPARE OK packet.
func ParsePrepareOK(p []byte) (PrepareOK, error) {
	r := NewReader(p)
	var ok PrepareOK
	if r.Byte() != HeaderOK {
		return ok, ErrMalformed
	}
	ok.StatementID = r.Uint32()
	ok.Columns = r.Uint16()
	ok.Params = r.Uint16()
	if r.Len() >= 3 {
		r.Byte()
		ok.Warnings = r.Uint16()
	}
	return ok, r.Err()
}

// Execute is a decoded COM_STMT_EXECUTE. Values stay encoded: their
// layout depends on the types and on which parameters were sent as long
// data.
type Execute struct {
	StatementID uint32
	Flags       byte
	Iterations  uint32
	Nulls       []bool
	// NewBound reports that Types were sent with this packet; otherwise
	// they are the ones bound before.
	NewBound bool
	Types    []uint16
	Values   []byte
}

// Cursor flags of COM_STMT_EXECUTE.
const (
	CursorNone     byte = 0
	CursorReadOnly byte = 1
)

// StatementID returns the statement id of a COM_STMT_* packet (after the
// command byte), or false if the packet is too short.
func StatementID(p []byte) (uint32, bool) {
	if len(p) < 5 {
		return 0, false
	}
	return binary.LittleEndian.Uint32(p[1:5]), true
}

// ParseExecute decodes a COM_STMT_EXECUTE packet (command byte included)
// for a statement with nParams parameters.
func ParseExecute(p []byte, nParams int) (*Execute, error) {
	r := NewReader(p)
	if r.Byte() != ComStmtExecute {
		return nil, ErrMalformed
	}
	e := &Execute{StatementID: r.Uint32(), Flags: r.Byte(), Iterations: r.Uint32()}
	if r.Err() != nil {
		return nil, r.Err()
	}
	if nParams == 0 {
		e.Values = r.Rest()
		return e, nil
	}
	bitmap := r.Bytes((nParams + 7) / 8)
	if r.Err() != nil {
		return nil, r.Err()
	}
	e.Nulls = make([]bool, nParams)
	for i := range nParams {
		e.Nulls[i] = bitmap[i/8]&(1<<(i%8)) != 0
	}
	e.NewBound = r.Byte() == 1
	if e.NewBound {
		e.Types = make([]uint16, nParams)
		for i := range e.Types {
			e.Types[i] = r.Uint16()
		}
	}
	if r.Err() != nil {
		return nil, r.Err()
	}
	e.Values = r.Rest()
	return e, nil
}

// AppendExecute encodes e; types are written when e.Types is set.
func AppendExecute(b []byte, e *Execute) []byte {
	b = append(b, ComStmtExecute)
	b = binary.LittleEndian.AppendUint32(b, e.StatementID)
	b = append(b, e.Flags)
	b = binary.LittleEndian.AppendUint32(b, e.Iterations)
	if n := len(e.Nulls); n > 0 {
		bitmap := make([]byte, (n+7)/8)
		for i, null := range e.Nulls {
			if null {
				bitmap[i/8] |= 1 << (i % 8)
			}
		}
		b = append(b, bitmap...)
		if e.Types != nil {
			b = append(b, 1)
			for _, t := range e.Types {
				b = binary.LittleEndian.AppendUint16(b, t)
			}
		} else {
			b = append(b, 0)
		}
	}
	return append(b, e.Values...)
}

// DecodeValues decodes the parameter values of e given the bound types.
// Parameters in longData were sent with COM_STMT_SEND_LONG_DATA and are
// not in the packet. Integers come back as int64 or uint64, floats as
// float64, dates and times as time.Time or a "[-]hh:mm:ss[.ffffff]"
// string for TIME, everything else as []byte.
func DecodeValues(e *Execute, types []uint16, longData map[int][]byte) ([]any, error) {
	n := len(e.Nulls)
	if len(types) != n {
		return nil, fmt.Errorf("%w: parameter types were never bound", ErrMalformed)
	}
	r := NewReader(e.Values)
	out := make([]any, n)
	for i := range n {
		if e.Nulls[i] {
			continue
		}
		if d, ok := longData[i]; ok {
			out[i] = d
			continue
		}
		unsigned := types[i]&ParamUnsigned != 0
		switch byte(types[i]) {
		case TypeNull:
		case TypeTiny:
			v := r.Byte()
			out[i] = intValue(uint64(v), int64(int8(v)), unsigned)
		case TypeShort, TypeYear:
			v := r.Uint16()
			out[i] = intValue(uint64(v), int64(int16(v)), unsigned)
		case TypeLong, TypeInt24:
			v := r.Uint32()
			out[i] = intValue(uint64(v), int64(int32(v)), unsigned)
		case TypeLongLong:
			v := r.Uint64()
			out[i] = intValue(v, int64(v), unsigned)
		case TypeFloat:
			out[i] = float64(math.Float32frombits(r.Uint32()))
		case TypeDouble:
			out[i] = math.Float64frombits(r.Uint64())
		case TypeDate, TypeDateTime, TypeTimestamp:
			t, err := decodeDateTime(r.Bytes(int(r.Byte())))
			if err != nil {
				return nil, err
			}
			out[i] = t
		case TypeTime:
			s, err := decodeTime(r.Bytes(int(r.Byte())))
			if err != nil {
				return nil, err
			}
			out[i] = s
		default:
			b, _ := r.LenBytes()
			out[i] = b
		}
		if r.Err() != nil {
			return nil, fmt.Errorf("%w: parameter %d", ErrMalformed, i+1)
		}
	}
	return out, nil
}

func intValue(u uint64, s int64, unsigned bool) any {
	if unsigned {
		return u
	}
	return s
}

func decodeDateTime(b []byte) (time.Time, error) {
	switch len(b) {
	case 0:
		return time.Time{}, nil
	case 4, 7, 11:
	default:
		return time.Time{}, fmt.Errorf("%w: datetime of %d bytes", ErrMalformed, len(b))
	}
	y, mo, d := int(binary.LittleEndian.Uint16(b)), time.Month(b[2]), int(b[3])
	var h, mi, s, us int
	if len(b) >= 7 {
		h, mi, s = int(b[4]), int(b[5]), int(b[6])
	}
	if len(b) == 11 {
		us = int(binary.LittleEndian.Uint32(b[7:]))
	}
	return time.Date(y, mo, d, h, mi, s, us*1000, time.UTC), nil
}

func decodeTime(b []byte) (string, error) {
	switch len(b) {
	case 0:
		return "00:00:00", nil
	case 8, 12:
	default:
		return "", fmt.Errorf("%w: time of %d bytes", ErrMalformed, len(b))
	}
	sign := ""
	if b[0] == 1 {
		sign = "-"
	}
	days := binary.LittleEndian.Uint32(b[1:])
	h := uint64(days)*24 + uint64(b[5])
	s := fmt.Sprintf("%s%02d:%02d:%02d", sign, h, b[6], b[7])
	if len(b) == 12 {
		s += fmt.Sprintf(".%06d", binary.LittleEndian.Uint32(b[8:]))
	}
	return s, nil
}
