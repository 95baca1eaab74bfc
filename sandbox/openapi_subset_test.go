package sandbox_test

import (
	"bytes"
	"crypto/sha256"
	"flag"
	"fmt"
	"os"

	"gopkg.in/yaml.v3"

	"github.com/pdbulk/pdbulk/spec"
)

func flagString(name, value, usage string) *string { return flag.String(name, value, usage) }

// writeOpenAPISubset writes to dst the OpenAPI document src cut to what the validator
// needs: info, servers, the paths of spec.Endpoints (every method of each) and the
// security schemes. Pipedrive's v1 document inlines every schema (it has no $ref), so
// nothing else is referred to. The head comment names the source and its sha256.
func writeOpenAPISubset(src, dst string) error {
	return writeOpenAPICut(src, dst, spec.Endpoints, "Pipedrive's OpenAPI v1 document, openapi-v1-2026-01-14.yaml", "spec.Endpoints")
}

// writeOpenAPIV2Subset is writeOpenAPISubset for the v2 document and spec.EndpointsV2.
func writeOpenAPIV2Subset(src, dst string) error {
	return writeOpenAPICut(src, dst, spec.EndpointsV2, "Pipedrive's OpenAPI v2 document, openapi-v2.yaml", "spec.EndpointsV2")
}

// writeOpenAPICut writes to dst the document src (called what) cut to the paths of eps
// (called list).
func writeOpenAPICut(src, dst string, eps []spec.Endpoint, what, list string) error {
	raw, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return fmt.Errorf("parse %s: %w", src, err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return fmt.Errorf("%s: not an OpenAPI document", src)
	}
	want := map[string]bool{}
	for _, e := range eps {
		want[e.Path] = true
	}
	root := doc.Content[0]
	out := &yaml.Node{Kind: yaml.MappingNode}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		switch k.Value {
		case "openapi", "info", "servers":
			out.Content = append(out.Content, k, v)
		case "paths":
			paths := &yaml.Node{Kind: yaml.MappingNode}
			for j := 0; j+1 < len(v.Content); j += 2 {
				if want[v.Content[j].Value] {
					paths.Content = append(paths.Content, v.Content[j], v.Content[j+1])
					delete(want, v.Content[j].Value)
				}
			}
			out.Content = append(out.Content, k, paths)
		case "components":
			comp := &yaml.Node{Kind: yaml.MappingNode}
			for j := 0; j+1 < len(v.Content); j += 2 {
				if v.Content[j].Value == "securitySchemes" {
					comp.Content = append(comp.Content, v.Content[j], v.Content[j+1])
				}
			}
			out.Content = append(out.Content, k, comp)
		}
	}
	if len(want) > 0 {
		return fmt.Errorf("%s lacks paths %v", src, want)
	}
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "# %s (sha256 %x),\n", what, sha256.Sum256(raw))
	fmt.Fprintf(&buf, "# cut to the paths pdbulk uses (%s) by writeOpenAPISubset; otherwise unchanged.\n", list)
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(out); err != nil {
		return err
	}
	if err := enc.Close(); err != nil {
		return err
	}
	return os.WriteFile(dst, buf.Bytes(), 0o644)
}
