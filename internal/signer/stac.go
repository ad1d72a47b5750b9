package signer

import (
	"bytes"
	"encoding/json"
	"net/http"
	"time"
)

// maxSTACBody bounds a STAC document sent to /sign/stac.
const maxSTACBody = 8 << 20

// POST /sign/stac: an Item, ItemCollection or Collection comes back with
// every asset href on the managed storage signed (others untouched) and the
// earliest expiry in "expiry" (also in the X-Expiry header).
func (s *Server) signSTAC(w http.ResponseWriter, r *http.Request) error {
	lifetime, err := s.lifetime(r.URL.Query().Get("duration"))
	if err != nil {
		return err
	}
	p, err := s.principal(r)
	if err != nil {
		return err
	}
	var doc map[string]any
	if err := decodeJSON(w, r, maxSTACBody, &doc); err != nil {
		return err
	}
	var assetSets []map[string]any
	switch doc["type"] {
	case "Feature", "Collection":
		if a, ok := doc["assets"].(map[string]any); ok {
			assetSets = append(assetSets, a)
		}
	case "FeatureCollection":
		features, _ := doc["features"].([]any)
		for _, f := range features {
			if fm, ok := f.(map[string]any); ok {
				if a, ok := fm["assets"].(map[string]any); ok {
					assetSets = append(assetSets, a)
				}
			}
		}
	default:
		return errorf(http.StatusBadRequest, codeBadRequest, "type %v: want a STAC Item (Feature), ItemCollection (FeatureCollection) or Collection", doc["type"])
	}
	var hrefs []map[string]any
	for _, set := range assetSets {
		for _, a := range set {
			if am, ok := a.(map[string]any); ok {
				if _, ok := am["href"].(string); ok {
					hrefs = append(hrefs, am)
				}
			}
		}
	}
	if len(hrefs) > s.cfg.BatchLimit {
		return errorf(http.StatusRequestEntityTooLarge, codeTooLarge, "%d assets in one document; the limit is %d", len(hrefs), s.cfg.BatchLimit)
	}
	b := s.batchOf(p, http.MethodGet, lifetime, true)
	for _, am := range hrefs {
		u, err := b.sign(r.Context(), am["href"].(string))
		if err != nil {
			return err
		}
		am["href"] = u
	}
	if b.signed > 0 {
		doc["expiry"] = b.expiry.UTC().Format(time.RFC3339)
		w.Header().Set("X-Expiry", doc["expiry"].(string))
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(buf.Bytes())
	return nil
}
