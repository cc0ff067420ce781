package mysqlwire

import (
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
)

// TextRow splits a text-protocol row of n columns into its values (nil
// for NULL).
func TextRow(p []byte, n int) ([][]byte, error) {
	r := NewReader(p)
	out := make([][]byte, n)
	for i := range n {
		v, null := r.LenBytes()
		if r.Err() != nil {
			return nil, fmt.Errorf("%w: text row column %d", ErrMalformed, i+1)
		}
		if !null && v == nil {
			v = []byte{}
		}
		out[i] = v
	}
	if r.Len() != 0 {
		return nil, fmt.Errorf("%w: %d bytes after the text row", ErrMalformed, r.Len())
	}
	return out, nil
}

// AppendTextRow encodes a text-protocol row (nil values are NULL).
func AppendTextRow(b []byte, vals [][]byte) []byte {
	for _, v := range vals {
		if v == nil {
			b = append(b, 0xfb)
			continue
		}
		b = AppendLenBytes(b, v)
	}
	return b
}

// BinaryRow is a binary-protocol row split into its column values as
// they are encoded (nil for NULL).
type BinaryRow [][]byte

// ParseBinaryRow splits a binary-protocol row of cols.
func ParseBinaryRow(p []byte, cols []Column) (BinaryRow, error) {
	n := len(cols)
	bitmap := (n + 7 + 2) / 8
	if len(p) < 1+bitmap || p[0] != 0x00 {
		return nil, fmt.Errorf("%w: binary row header", ErrMalformed)
	}
	nulls := p[1 : 1+bitmap]
	rest := p[1+bitmap:]
	out := make(BinaryRow, n)
	for i, c := range cols {
		bit := i + 2
		if nulls[bit/8]&(1<<(bit%8)) != 0 {
			continue
		}
		size, err := binaryValueSize(c.Type, rest)
		if err != nil || size > len(rest) {
			return nil, fmt.Errorf("%w: binary row column %d", ErrMalformed, i+1)
		}
		out[i] = rest[:size:size]
		rest = rest[size:]
	}
	if len(rest) != 0 {
		return nil, fmt.Errorf("%w: %d bytes after the binary row", ErrMalformed, len(rest))
	}
	return out, nil
}

// binaryValueSize returns the encoded size of a value of type t at the
// start of b.
func binaryValueSize(t byte, b []byte) (int, error) {
	switch t {
	case TypeNull:
		return 0, nil
	case TypeTiny:
		return 1, nil
	case TypeShort, TypeYear:
		return 2, nil
	case TypeLong, TypeInt24, TypeFloat:
		return 4, nil
	case TypeLongLong, TypeDouble:
		return 8, nil
	case TypeDate, TypeDateTime, TypeTimestamp, TypeTime:
		if len(b) < 1 {
			return 0, ErrMalformed
		}
		return 1 + int(b[0]), nil
	}
	r := NewReader(b)
	n, _ := r.LenInt()
	if r.Err() != nil || n > uint64(len(b)) {
		return 0, ErrMalformed
	}
	return len(b) - r.Len() + int(n), nil
}

// AppendBinaryRow encodes a binary-protocol row.
func AppendBinaryRow(b []byte, row BinaryRow) []byte {
	b = append(b, 0x00)
	bitmap := (len(row) + 7 + 2) / 8
	at := len(b)
	for range bitmap {
		b = append(b, 0)
	}
	for i, v := range row {
		if v == nil {
			bit := i + 2
			b[at+bit/8] |= 1 << (bit % 8)
			continue
		}
		b = append(b, v...)
	}
	return b
}

// BinaryText returns a binary-protocol value of column c as the text
// protocol would show it.
func BinaryText(c Column, v []byte) ([]byte, error) {
	unsigned := c.Flags&FlagUnsigned != 0
	short := func(n int) error {
		if len(v) < n {
			return fmt.Errorf("%w: value of %d bytes for type %#x", ErrMalformed, len(v), c.Type)
		}
		return nil
	}
	switch c.Type {
	case TypeTiny:
		if err := short(1); err != nil {
			return nil, err
		}
		if unsigned {
			return strconv.AppendUint(nil, uint64(v[0]), 10), nil
		}
		return strconv.AppendInt(nil, int64(int8(v[0])), 10), nil
	case TypeShort, TypeYear:
		if err := short(2); err != nil {
			return nil, err
		}
		u := binary.LittleEndian.Uint16(v)
		if unsigned || c.Type == TypeYear {
			return strconv.AppendUint(nil, uint64(u), 10), nil
		}
		return strconv.AppendInt(nil, int64(int16(u)), 10), nil
	case TypeLong, TypeInt24:
		if err := short(4); err != nil {
			return nil, err
		}
		u := binary.LittleEndian.Uint32(v)
		if unsigned {
			return strconv.AppendUint(nil, uint64(u), 10), nil
		}
		return strconv.AppendInt(nil, int64(int32(u)), 10), nil
	case TypeLongLong:
		if err := short(8); err != nil {
			return nil, err
		}
		u := binary.LittleEndian.Uint64(v)
		if unsigned {
			return strconv.AppendUint(nil, u, 10), nil
		}
		return strconv.AppendInt(nil, int64(u), 10), nil
	case TypeFloat:
		if err := short(4); err != nil {
			return nil, err
		}
		return strconv.AppendFloat(nil, float64(math.Float32frombits(binary.LittleEndian.Uint32(v))), 'g', -1, 32), nil
	case TypeDouble:
		if err := short(8); err != nil {
			return nil, err
		}
		return strconv.AppendFloat(nil, math.Float64frombits(binary.LittleEndian.Uint64(v)), 'g', -1, 64), nil
	case TypeDate, TypeDateTime, TypeTimestamp:
		if err := short(1); err != nil {
			return nil, err
		}
		t, err := decodeDateTime(v[1:])
		if err != nil {
			return nil, err
		}
		if c.Type == TypeDate {
			return t.AppendFormat(nil, "2006-01-02"), nil
		}
		out := t.AppendFormat(nil, "2006-01-02 15:04:05")
		if d := int(c.Decimals); d > 0 && d <= 6 {
			out = append(out, fmt.Sprintf(".%06d", t.Nanosecond()/1000)[:d+1]...)
		}
		return out, nil
	case TypeTime:
		if err := short(1); err != nil {
			return nil, err
		}
		s, err := decodeTime(v[1:])
		if err != nil {
			return nil, err
		}
		return []byte(s), nil
	case TypeNull:
		return nil, nil
	}
	b, _ := NewReader(v).LenBytes()
	return b, nil
}
