package signer

import (
	_ "embed"
	"encoding/json"
	"net/http"
)

//go:embed openapi.json
var openAPITemplate []byte

// openAPIDocument returns the API description with the IdP token endpoint
// filled in, where the DINAMIS clients look for it.
func (s *Server) openAPIDocument() (map[string]any, error) {
	var doc map[string]any
	if err := json.Unmarshal(openAPITemplate, &doc); err != nil {
		return nil, err
	}
	flows := doc["components"].(map[string]any)["securitySchemes"].(map[string]any)["OAuth2PasswordBearer"].(map[string]any)["flows"].(map[string]any)
	flows["password"].(map[string]any)["tokenUrl"] = s.cfg.TokenURL
	return doc, nil
}

func (s *Server) openAPI(w http.ResponseWriter, _ *http.Request) error {
	doc, err := s.openAPIDocument()
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, doc)
	return nil
}
