// Package mapping compiles a job's column mapping into a Mapper that turns a spreadsheet row
// into an API payload (and field errors). It does no I/O: lookups go through a Resolver that
// the caller supplies.
package mapping

// Type is the type a column's text is converted to.
type Type string

// The types a field can have.
const (
	TypeString   Type = "string"
	TypeInt      Type = "int"
	TypeNumber   Type = "number"
	TypeBool     Type = "bool"
	TypeDate     Type = "date"     // YYYY-MM-DD in the payload, never shifted across time zones
	TypeDateTime Type = "datetime" // RFC 3339 in the payload
	TypeUUID     Type = "uuid"
	TypeEnum     Type = "enum"
	TypeJSON     Type = "json" // raw JSON object/array (filter conditions, goal objects)
)

// Empty says what an empty cell becomes.
type Empty string

// The policies for empty cells.
const (
	EmptyOmit  Empty = "omit"  // the field is left out of the payload (default)
	EmptyNull  Empty = "null"  // the field is sent as an explicit JSON null
	EmptyError Empty = "error" // an empty cell is a field error (required field)
)

// Spec is a job's mapping for one entity, as the jobs package builds it from a job file.
type Spec struct {
	Entity string  // leads, lead_labels, filters, goals, teams, files
	Schema string  // seed request schema the payload must satisfy (spec.CheckRequest), "" = none
	Fields []Field // in job-file order

	// Supplied lists payload paths the caller fills in itself after Map (such as the file
	// part of an upload): the schema's required-key checks skip them. Optional.
	Supplied []string
}

// Field maps one payload field. Exactly one of Column or HasValue is set.
type Field struct {
	Path          string   // payload path, dot-separated: "title", "value.amount"
	Column        string   // spreadsheet header the value comes from
	HasValue      bool     // Value is a constant
	Value         any      // constant value (from YAML: string, int, float64, bool, nil, map, slice)
	Default       *string  // text used when the cell is empty; nil = none
	Type          Type     // "" = string
	NoTrim        bool     // keep surrounding white space (trimmed by default)
	Formats       []string // Go time layouts for date/datetime; empty = ISO forms (RFC 3339, YYYY-MM-DD)
	DecimalComma  bool     // numbers written 1.234,56
	Split         string   // split the cell on this separator into a list
	Enum          []string // allowed values for TypeEnum (after Lowercase if set)
	Lowercase     bool     // fold the text to lower case before checking the enum
	Lookup        string   // "lead_labels.name", "persons.email", "persons.name", "organizations.name", "ids.<entity>" ...; "" = none
	CreateMissing bool     // a lookup that finds nothing creates the record (lead labels)
	Empty         Empty    // "" = EmptyOmit
	Line          int      // line of the field in the job file, for error messages

	// Serial says that a date or datetime column holds Excel serial day numbers (45292 for
	// 2024-01-01) and in which date system: Serial1900 (Excel's default) or Serial1904 (old
	// Mac workbooks). 0 means the column holds dates: a plain number in it, typed into a
	// CSV or stored in an XLSX cell without a date format, is then an error, never read as
	// a serial. Cells an XLSX workbook formats as dates are dates whatever Serial says.
	// Left out of JSON when 0, so that fingerprints of jobs written before it keep.
	Serial int `json:",omitempty"`
}

// The date systems Field.Serial can name.
const (
	Serial1900 = 1900 // serial 1 is 1900-01-01; 60 is Excel's phantom 1900-02-29
	Serial1904 = 1904 // serial 0 is 1904-01-01
)
