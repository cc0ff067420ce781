package policy

// Permits reports whether req's text would pass the decision for req's
// user — the database connect check, the one-reading check, the grants
// (with row filters), the side-channel and masking checks — without
// recording anything: no audit record, no denial counted or kept, no
// metric, nothing learned by the firewall. It serves views that show
// what is derived from statements (index advice) only to users who may
// run them. The SQL firewall's findings are not consulted: they judge a
// client's literal text, which a shape no longer has. With policy off,
// every text is permitted.
func (p *Policy) Permits(req Request) bool {
	if !p.Enabled() {
		return true
	}
	if p.Connect(req.User, req.Roles, req.Database) != nil {
		return false
	}
	a := p.analyse(req)
	if p.checkReading(req, a) != nil {
		return false
	}
	if a.parseErr != nil {
		return !p.grants && p.cfg.Unparseable == "allow"
	}
	var dec Decision
	if p.grants {
		if p.checkGrants(req, a.stmts) != nil {
			return false
		}
		sql, den := p.applyFilters(req, a.stmts)
		if den != nil {
			return false
		}
		dec.SQL = sql
	}
	masks := p.Masks(req.Roles, req.Database, req.DefaultSchema)
	if den, _ := p.scopeExposure(req, a.stmts, masks, &dec); den != nil {
		return false
	}
	if masks != nil {
		if _, den := masks.review(req, a.stmts, req.Dialect == Postgres); den != nil {
			return false
		}
	}
	return true
}
