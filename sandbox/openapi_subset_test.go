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
	for _, e := range spec.Endpoints {
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
	fmt.Fprintf(&buf, "# Pipedrive's OpenAPI v1 document, openapi-v1-2026-01-14.yaml (sha256 %x),\n", sha256.Sum256(raw))
	buf.WriteString("# cut to the paths pdbulk uses (spec.Endpoints) by writeOpenAPISubset; otherwise unchanged.\n")
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
