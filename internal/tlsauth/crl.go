package tlsauth

import (
	"crypto/x509"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/floe-db/floe/internal/config"
)

// crlCache holds the revocation lists of the CRL files, read again when
// a file's modification time or size changes (looked at no more than
// once per interval).
type crlCache struct {
	cas      []*x509.Certificate
	interval time.Duration
	now      func() time.Time
	log      *slog.Logger

	mu struct {
		sync.Mutex
		checked time.Time
		files   []crlFile
		// revoked: issuer (raw subject) → serial (big-endian bytes).
		revoked map[string]map[string]bool
	}
}

type crlFile struct {
	name  string
	mod   time.Time
	size  int64
	lists []*x509.RevocationList
}

// newCRLCache reads every file; any error refuses the configuration.
func newCRLCache(files []string, cas []*x509.Certificate, interval time.Duration, now func() time.Time, log *slog.Logger) (*crlCache, error) {
	c := &crlCache{cas: cas, interval: interval, now: now, log: log}
	for _, name := range files {
		fi, err := os.Stat(name)
		if err != nil {
			return nil, err
		}
		lists, err := config.ReadCRLs(name, cas)
		if err != nil {
			return nil, err
		}
		c.mu.files = append(c.mu.files, crlFile{name: name, mod: fi.ModTime(), size: fi.Size(), lists: lists})
	}
	c.mu.checked = now()
	c.indexLocked()
	return c, nil
}

// indexLocked rebuilds the revoked set from the files' lists.
func (c *crlCache) indexLocked() {
	idx := map[string]map[string]bool{}
	for _, f := range c.mu.files {
		for _, l := range f.lists {
			m := idx[string(l.RawIssuer)]
			if m == nil {
				m = map[string]bool{}
				idx[string(l.RawIssuer)] = m
			}
			for _, e := range l.RevokedCertificateEntries {
				m[string(e.SerialNumber.Bytes())] = true
			}
		}
	}
	c.mu.revoked = idx
}

// refreshLocked reads the files that changed, when the interval passed.
func (c *crlCache) refreshLocked() {
	now := c.now()
	if now.Sub(c.mu.checked) < c.interval {
		return
	}
	c.mu.checked = now
	changed := false
	for i := range c.mu.files {
		f := &c.mu.files[i]
		fi, err := os.Stat(f.name)
		if err != nil {
			c.log.Warn("CRL file cannot be read; keeping the lists read before", "file", f.name, "error", err.Error())
			continue
		}
		if fi.ModTime().Equal(f.mod) && fi.Size() == f.size {
			continue
		}
		lists, err := config.ReadCRLs(f.name, c.cas)
		if err != nil {
			// A file being rewritten: keep the old lists, try again later.
			c.log.Warn("CRL file changed but cannot be used; keeping the lists read before", "file", f.name, "error", err.Error())
			continue
		}
		f.mod, f.size, f.lists = fi.ModTime(), fi.Size(), lists
		changed = true
		c.log.Info("CRL file read again", "file", f.name, "lists", len(lists))
	}
	if changed {
		c.indexLocked()
	}
}

// revoked returns the first certificate of a verified chain (leaf to
// root) that a list of its issuer revokes, or nil.
func (c *crlCache) revoked(chain []*x509.Certificate) *x509.Certificate {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.refreshLocked()
	for _, cert := range chain {
		if m := c.mu.revoked[string(cert.RawIssuer)]; m[string(cert.SerialNumber.Bytes())] {
			return cert
		}
	}
	return nil
}
