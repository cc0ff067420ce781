package policy

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
)

// Digest identifies what the masks do to results: two sessions whose
// masks have the same digest see the same values ("" when nothing is
// masked). A result cache keys entries by it so that users whose masks
// differ never share a result. Keys of hashing masks count by their
// hash, never in clear.
func (ms *Masks) Digest() string {
	if ms == nil || len(ms.rules) == 0 {
		return ""
	}
	h := sha256.New()
	w := func(s string) {
		h.Write([]byte(strconv.Itoa(len(s))))
		h.Write([]byte{':'})
		h.Write([]byte(s))
	}
	w(ms.defSchema)
	for _, r := range ms.rules {
		w(r.database)
		w(r.table)
		w(r.column)
		w(r.mask.Method)
		w(strconv.Itoa(r.mask.keep))
		k := sha256.Sum256(r.mask.key)
		w(string(k[:]))
	}
	return hex.EncodeToString(h.Sum(nil))
}
