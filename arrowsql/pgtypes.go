package arrowsql

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
)

// PostgreSQL type OIDs (pg_type.dat).
const (
	oidBool        = 16
	oidBytea       = 17
	oidChar        = 18
	oidName        = 19
	oidInt8        = 20
	oidInt2        = 21
	oidInt4        = 23
	oidText        = 25
	oidOID         = 26
	oidJSON        = 114
	oidXML         = 142
	oidFloat4      = 700
	oidFloat8      = 701
	oidBPChar      = 1042
	oidVarchar     = 1043
	oidDate        = 1082
	oidTime        = 1083
	oidTimestamp   = 1114
	oidTimestampTZ = 1184
	oidInterval    = 1186
	oidNumeric     = 1700
	oidUUID        = 2950
	oidJSONB       = 3802
)

// pgArrays maps array type OIDs to their element type.
var pgArrays = map[uint32]uint32{
	1000: oidBool, 1001: oidBytea, 1002: oidChar, 1003: oidName, 1005: oidInt2, 1007: oidInt4,
	1009: oidText, 1014: oidBPChar, 1015: oidVarchar, 1016: oidInt8, 1021: oidFloat4, 1022: oidFloat8,
	1028: oidOID, 1115: oidTimestamp, 1182: oidDate, 1183: oidTime, 1185: oidTimestampTZ,
	1187: oidInterval, 1231: oidNumeric, 2951: oidUUID, 199: oidJSON, 3807: oidJSONB,
}

// Days and microseconds between 1970-01-01 and PostgreSQL's epoch,
// 2000-01-01.
const (
	pgEpochDays = 10957
	pgEpochUS   = pgEpochDays * usPerDay
)

// pgColumn is how one PostgreSQL result column is read: the format asked
// of the server, the Arrow type, and how a non-null value is appended.
type pgColumn struct {
	typ    arrow.DataType
	format int16 // 0 text, 1 binary
	bind   func(b array.Builder) func(v []byte) error
}

var errInfinite = errors.New("infinite value has no Arrow representation")

// pgColumnFor returns the reading of a column of type oid with type
// modifier typmod.
func pgColumnFor(oid uint32, typmod int32, num Numeric) pgColumn {
	bin := func(t arrow.DataType, bind func(array.Builder) func([]byte) error) pgColumn {
		return pgColumn{typ: t, format: 1, bind: bind}
	}
	text := pgColumn{typ: arrow.BinaryTypes.String, format: 0, bind: bytesAppender}
	switch oid {
	case oidBool:
		return bin(arrow.FixedWidthTypes.Boolean, func(b array.Builder) func([]byte) error {
			bb := b.(*array.BooleanBuilder)
			return func(v []byte) error {
				if len(v) != 1 {
					return errSyntax
				}
				bb.Append(v[0] != 0)
				return nil
			}
		})
	case oidInt2:
		return bin(arrow.PrimitiveTypes.Int16, func(b array.Builder) func([]byte) error {
			ib := b.(*array.Int16Builder)
			return func(v []byte) error {
				if len(v) != 2 {
					return errSyntax
				}
				ib.Append(int16(binary.BigEndian.Uint16(v)))
				return nil
			}
		})
	case oidInt4:
		return bin(arrow.PrimitiveTypes.Int32, func(b array.Builder) func([]byte) error {
			ib := b.(*array.Int32Builder)
			return func(v []byte) error {
				if len(v) != 4 {
					return errSyntax
				}
				ib.Append(int32(binary.BigEndian.Uint32(v)))
				return nil
			}
		})
	case oidOID:
		return bin(arrow.PrimitiveTypes.Uint32, func(b array.Builder) func([]byte) error {
			ib := b.(*array.Uint32Builder)
			return func(v []byte) error {
				if len(v) != 4 {
					return errSyntax
				}
				ib.Append(binary.BigEndian.Uint32(v))
				return nil
			}
		})
	case oidInt8:
		return bin(arrow.PrimitiveTypes.Int64, func(b array.Builder) func([]byte) error {
			ib := b.(*array.Int64Builder)
			return func(v []byte) error {
				if len(v) != 8 {
					return errSyntax
				}
				ib.Append(int64(binary.BigEndian.Uint64(v)))
				return nil
			}
		})
	case oidFloat4:
		return bin(arrow.PrimitiveTypes.Float32, func(b array.Builder) func([]byte) error {
			fb := b.(*array.Float32Builder)
			return func(v []byte) error {
				if len(v) != 4 {
					return errSyntax
				}
				fb.Append(math.Float32frombits(binary.BigEndian.Uint32(v)))
				return nil
			}
		})
	case oidFloat8:
		return bin(arrow.PrimitiveTypes.Float64, func(b array.Builder) func([]byte) error {
			fb := b.(*array.Float64Builder)
			return func(v []byte) error {
				if len(v) != 8 {
					return errSyntax
				}
				fb.Append(math.Float64frombits(binary.BigEndian.Uint64(v)))
				return nil
			}
		})
	case oidText, oidVarchar, oidBPChar, oidName, oidXML, oidChar:
		// The binary form of these is their text.
		return bin(arrow.BinaryTypes.String, bytesAppender)
	case oidBytea:
		return bin(arrow.BinaryTypes.Binary, bytesAppender)
	case oidJSON:
		return bin(typeJSON, bytesAppender)
	case oidJSONB:
		return bin(typeJSON, func(b array.Builder) func([]byte) error {
			add := bytesAppender(b)
			return func(v []byte) error {
				if len(v) < 1 || v[0] != 1 {
					return fmt.Errorf("jsonb: unknown binary version")
				}
				return add(v[1:])
			}
		})
	case oidUUID:
		return bin(typeUUID, func(b array.Builder) func([]byte) error {
			fb := storage(b).(*array.FixedSizeBinaryBuilder)
			return func(v []byte) error {
				if len(v) != 16 {
					return errSyntax
				}
				fb.Append(v)
				return nil
			}
		})
	case oidDate:
		return bin(arrow.FixedWidthTypes.Date32, func(b array.Builder) func([]byte) error {
			db := b.(*array.Date32Builder)
			return func(v []byte) error {
				if len(v) != 4 {
					return errSyntax
				}
				d := int32(binary.BigEndian.Uint32(v))
				if d == math.MaxInt32 || d == math.MinInt32 {
					return errInfinite
				}
				db.Append(arrow.Date32(int64(d) + pgEpochDays))
				return nil
			}
		})
	case oidTime:
		return bin(arrow.FixedWidthTypes.Time64us, func(b array.Builder) func([]byte) error {
			tb := b.(*array.Time64Builder)
			return func(v []byte) error {
				if len(v) != 8 {
					return errSyntax
				}
				us := int64(binary.BigEndian.Uint64(v))
				if us < 0 || us >= usPerDay {
					return errTimeOfDay // 24:00:00
				}
				tb.Append(arrow.Time64(us))
				return nil
			}
		})
	case oidTimestamp, oidTimestampTZ:
		t := typeTimestamp
		if oid == oidTimestampTZ {
			t = typeTimestampTZ
		}
		return bin(t, func(b array.Builder) func([]byte) error {
			tb := b.(*array.TimestampBuilder)
			return func(v []byte) error {
				if len(v) != 8 {
					return errSyntax
				}
				us := int64(binary.BigEndian.Uint64(v))
				if us == math.MaxInt64 || us == math.MinInt64 {
					return errInfinite
				}
				if us > math.MaxInt64-pgEpochUS {
					return errTooLarge
				}
				tb.Append(arrow.Timestamp(us + pgEpochUS))
				return nil
			}
		})
	case oidInterval:
		return bin(arrow.FixedWidthTypes.MonthDayNanoInterval, func(b array.Builder) func([]byte) error {
			ib := b.(*array.MonthDayNanoIntervalBuilder)
			return func(v []byte) error {
				if len(v) != 16 {
					return errSyntax
				}
				us := int64(binary.BigEndian.Uint64(v))
				if us > math.MaxInt64/1000 || us < math.MinInt64/1000 {
					return errTooLarge
				}
				ib.Append(arrow.MonthDayNanoInterval{
					Nanoseconds: us * 1000,
					Days:        int32(binary.BigEndian.Uint32(v[8:])),
					Months:      int32(binary.BigEndian.Uint32(v[12:])),
				})
				return nil
			}
		})
	case oidNumeric:
		if num == NumericString || typmod < 4 {
			return text
		}
		prec, scale := (typmod-4)>>16&0xffff, (typmod-4)&0xffff
		if prec > 38 || scale > prec {
			return text
		}
		return bin(&arrow.Decimal128Type{Precision: prec, Scale: scale}, func(b array.Builder) func([]byte) error {
			db := b.(*array.Decimal128Builder)
			return func(v []byte) error {
				n, err := pgNumeric(v, prec, scale)
				if err != nil {
					return err
				}
				db.Append(n)
				return nil
			}
		})
	}
	if elem, ok := pgArrays[oid]; ok {
		e := pgColumnFor(elem, typmod, num)
		if e.format == 1 {
			return bin(arrow.ListOf(e.typ), func(b array.Builder) func([]byte) error {
				lb := b.(*array.ListBuilder)
				vb := lb.ValueBuilder()
				add := e.bind(vb)
				return func(v []byte) error { return pgArray(v, lb, vb, add) }
			})
		}
	}
	return text
}

// pgArray appends the binary form of an array as one list;
// multi-dimensional arrays are flattened in row-major order.
func pgArray(v []byte, lb *array.ListBuilder, vb array.Builder, add func([]byte) error) error {
	if len(v) < 12 {
		return errSyntax
	}
	ndim := int(int32(binary.BigEndian.Uint32(v)))
	if ndim < 0 || ndim > 6 || len(v) < 12+8*ndim {
		return errSyntax
	}
	n := 1
	if ndim == 0 {
		n = 0
	}
	for d := 0; d < ndim; d++ {
		size := int(int32(binary.BigEndian.Uint32(v[12+8*d:])))
		if size < 0 || size > len(v) {
			return errSyntax
		}
		n *= size
	}
	p := v[12+8*ndim:]
	lb.Append(true)
	for i := 0; i < n; i++ {
		if len(p) < 4 {
			return errSyntax
		}
		l := int32(binary.BigEndian.Uint32(p))
		p = p[4:]
		if l < 0 {
			vb.AppendNull()
			continue
		}
		if int(l) > len(p) {
			return errSyntax
		}
		if err := add(p[:l]); err != nil {
			return err
		}
		p = p[l:]
	}
	if len(p) != 0 {
		return errSyntax
	}
	return nil
}

var pow10 = [...]uint64{1, 10, 100, 1000}

// pgNumeric converts the binary form of a numeric to a Decimal128 of the
// given scale.
func pgNumeric(v []byte, prec, scale int32) (decimal128.Num, error) {
	var n decimal128.Num
	if len(v) < 8 {
		return n, errSyntax
	}
	ndigits := int(int16(binary.BigEndian.Uint16(v)))
	weight := int(int16(binary.BigEndian.Uint16(v[2:])))
	sign := binary.BigEndian.Uint16(v[4:])
	switch sign {
	case 0, 0x4000:
	case 0xC000:
		return n, errors.New("NaN has no decimal128 representation (use the string numeric mode)")
	case 0xD000, 0xF000:
		return n, errInfinite
	default:
		return n, errSyntax
	}
	if ndigits < 0 || len(v) != 8+2*ndigits {
		return n, errSyntax
	}
	if ndigits == 0 {
		return n, nil
	}
	// Group i stands for d × 10000^(weight-i); scaled, d × 10^e with
	// e = 4(weight-i)+scale. Digits past the scale are dropped (they are
	// zeros: the server rounds to the column's scale), so the integer
	// built never holds more digits than the precision.
	var fast uint64
	big, unit := false, 0
	mulAdd := func(mul, d uint64) bool {
		if !big && fast < 1e14 {
			fast = fast*mul + d
			return true
		}
		if !big {
			n, big = decimal128.FromU64(fast), true
		}
		k := int32(4)
		for m := mul; m < 10000; m *= 10 {
			k--
		}
		if !n.FitsInPrecision(38 - k) {
			return false // n × mul would have more than 38 digits
		}
		n = n.Mul(decimal128.FromU64(mul)).Add(decimal128.FromU64(d))
		return true
	}
	for i := 0; i < ndigits; i++ {
		d := uint64(binary.BigEndian.Uint16(v[8+2*i:]))
		if d > 9999 {
			return n, errSyntax
		}
		e := 4*(weight-i) + int(scale)
		switch {
		case e >= 0:
			if e > 37 {
				return n, errTooLarge
			}
			if !mulAdd(10000, d) {
				return n, errTooLarge
			}
			unit = e
		case e > -4:
			p := pow10[-e]
			if !mulAdd(10000/p, d/p) {
				return n, errTooLarge
			}
			unit = 0
		}
	}
	if !big {
		n = decimal128.FromU64(fast)
	}
	if unit > 0 {
		if !n.FitsInPrecision(int32(38 - unit)) {
			return n, errTooLarge
		}
		n = n.IncreaseScaleBy(int32(unit))
	}
	if !n.FitsInPrecision(prec) {
		return n, errTooLarge
	}
	if sign == 0x4000 {
		n = n.Negate()
	}
	return n, nil
}
