package signer

import (
	"context"
	_ "embed"
	"encoding/json"
	"net/http"
)

//go:embed openapi.json
var openAPITemplate []byte

// openAPIDocument returns the API description with the IdP token endpoint
// filled in, where the DINAMIS clients look for it: --token-url, or what the
// first issuer's discovery names now (resolved on each request: the
// verifier caches and refreshes it, and an IdP that was down at start is
// tried again).
func (s *Server) openAPIDocument(ctx context.Context) (map[string]any, error) {
	var doc map[string]any
	if err := json.Unmarshal(openAPITemplate, &doc); err != nil {
		return nil, err
	}
	flows := doc["components"].(map[string]any)["securitySchemes"].(map[string]any)["OAuth2PasswordBearer"].(map[string]any)["flows"].(map[string]any)
	flows["password"].(map[string]any)["tokenUrl"] = s.tokenURL(ctx)
	return doc, nil
}

func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.ProbeTimeout)
	defer cancel()
	doc, err := s.openAPIDocument(ctx)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, doc)
	return nil
}
