package dataapi

import (
	"context"
	"net/http"

	"github.com/floe-db/floe/internal/advise"
	"github.com/floe-db/floe/internal/authn"
)

// Advisor is a Gateway that computes index advice. UserAdvice returns
// the advice user may see: only for statement shapes the policy lets
// that user run, on databases the user may open (db "" for all).
type Advisor interface {
	UserAdvice(ctx context.Context, u *authn.User, db string, refresh bool) []advise.Report
}

// serveAdvice answers GET /v1/advice: the index advice for the
// authenticated user's own view (?database=). Reports are computed at
// most once per advice.interval: a gateway user cannot make the gateway
// plan again at will (the admin API's ?refresh=true can).
func (s *Service) serveAdvice(w http.ResponseWriter, r *http.Request) {
	c, e := s.authenticate(r)
	if e != nil {
		writeError(w, e)
		return
	}
	adv, ok := s.gw.(Advisor)
	if !ok {
		writeError(w, &Error{Status: 404, Code: CodeNotFound, Message: "this gateway computes no index advice"})
		return
	}
	reports := adv.UserAdvice(r.Context(), c.User, r.URL.Query().Get("database"), false)
	if reports == nil {
		reports = []advise.Report{}
	}
	writeJSON(w, 200, map[string]any{"reports": reports})
}
