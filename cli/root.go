package cli

import (
	"errors"
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// Version and Commit are stamped at build time:
//
//	go build -ldflags "-X github.com/pdbulk/pdbulk/cli.Version=1.4.0 -X github.com/pdbulk/pdbulk/cli.Commit=$(git rev-parse --short HEAD)"
//
// When they are not, --version falls back to what the Go toolchain recorded in the binary
// (the module version of `go install …@v1.4.0`, the VCS revision of a build in a checkout).
var (
	Version = ""
	Commit  = ""
)

// annotationJSON marks the commands whose --json turns stderr into JSON events.
const annotationJSON = "pdbulk/json"

// versionString is what `pdbulk --version` prints after "pdbulk ".
func versionString() string {
	version, commit, modified := Version, Commit, false
	if info, ok := debug.ReadBuildInfo(); ok {
		if version == "" && info.Main.Version != "" {
			version = info.Main.Version // "(devel)" for a build in a checkout
		}
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				if commit == "" {
					commit = s.Value
				}
			case "vcs.modified":
				modified = s.Value == "true" && Commit == ""
			}
		}
	}
	if version == "" {
		version = "(devel)"
	}
	if len(commit) > 12 {
		commit = commit[:12]
	}
	switch {
	case commit == "":
		commit = "unknown"
	case modified:
		commit += ", modified"
	}
	return fmt.Sprintf("%s (commit %s, %s %s/%s)", version, commit, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

// newRoot builds pdbulk's command tree. The commands read *env when they run, so that Main
// may still change its Stderr (--json) after building the tree.
func newRoot(env *Env) *cobra.Command {
	root := &cobra.Command{
		Use:   "pdbulk",
		Short: "move data between spreadsheets (CSV, XLSX) and the Pipedrive API v1",
		Long: `pdbulk moves data between spreadsheets (CSV, XLSX) and the Pipedrive API v1.

A job file (YAML) names the source, the entity, the mode and the mapping of columns to
fields; 'pdbulk init' drafts one from a spreadsheet. Runs are checkpointed: an interrupted
run resumes where it stopped, and 'pdbulk undo' deletes exactly what a job created.

Connection: PIPEDRIVE_API_TOKEN (or --token-file) and PIPEDRIVE_COMPANY_DOMAIN or
PIPEDRIVE_BASE_URL; --sandbox runs against a local Pipedrive-compatible sandbox instead.

Exit codes: 0 every row done, 1 the run could not go on, 2 bad command line or invalid
job, 3 finished with rejected rows, 75 stopped early but resumable (run the same command
again), 130 aborted by a second Ctrl-C.`,
		Example: `  pdbulk init --entity leads leads.xlsx -o leads.yaml
  pdbulk validate leads.yaml
  pdbulk run leads.yaml --sandbox
  pdbulk run labels.yaml leads.yaml
  pdbulk status leads.yaml
  pdbulk undo leads.yaml --dry-run`,
		Version:       versionString(),
		SilenceUsage:  true,
		SilenceErrors: true,
		// Completion: `pdbulk completion bash|zsh|fish|powershell` (cobra's default command).
		CompletionOptions: cobra.CompletionOptions{HiddenDefaultCmd: false},
	}
	root.SetVersionTemplate("pdbulk {{.Version}}\n")
	// Help, --version and completion scripts are output: stdout (pdbulk --help | less).
	root.SetOut(env.Stdout)
	root.SetErr(env.Stderr)
	root.SetIn(env.Stdin)
	root.SetFlagErrorFunc(flagError)
	root.AddCommand(newRunCmd(env), newValidateCmd(env), newStatusCmd(env), newUndoCmd(env),
		newInitCmd(env), newSandboxCmd(env))
	return root
}

// jobFileCompletion completes job files: YAML files and folders.
func jobFileCompletion(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return []string{"yaml", "yml"}, cobra.ShellCompDirectiveFilterFileExt
}

// fixedCompletion completes a flag with a fixed list of values.
func fixedCompletion(values ...string) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return values, cobra.ShellCompDirectiveNoFileComp
	}
}

// cmdLineError is a bad command line: its message, then the usage of the command.
type cmdLineError struct {
	msg   string
	usage string
}

func (e *cmdLineError) Error() string { return e.msg }

// flagError turns a flag the command does not know, or a value it cannot parse, into a
// usage error (exit 2) that suggests the flag most likely meant.
func flagError(cmd *cobra.Command, err error) error {
	msg := err.Error()
	var ne *pflag.NotExistError
	if errors.As(err, &ne) {
		name := ne.GetSpecifiedName()
		if strings.HasPrefix(msg, "unknown shorthand") {
			// -concurency reads as the shorthands c, o, n…: take it as the long flag meant.
			name = ne.GetSpecifiedShortnames()
		}
		if s := suggestFlags(cmd, name); len(s) > 0 {
			msg += "; did you mean " + strings.Join(s, " or ") + "?"
		}
	}
	return &ExitError{Code: ExitUsage, Err: &cmdLineError{msg: msg, usage: cmd.UsageString()}}
}

// suggestFlags returns the flags of cmd whose name is within a small edit distance of name,
// or begins with it, spelt --name.
func suggestFlags(cmd *cobra.Command, name string) []string {
	name, _, _ = strings.Cut(strings.TrimLeft(name, "-"), "=")
	if name == "" {
		return nil
	}
	best := len(name)/3 + 1
	best = min(best, 3)
	var out []string
	seen := map[string]bool{}
	visit := func(f *pflag.Flag) {
		if f.Hidden || seen[f.Name] {
			return
		}
		seen[f.Name] = true
		d := editDistance(strings.ToLower(name), f.Name)
		if len(name) >= 3 && strings.HasPrefix(f.Name, strings.ToLower(name)) {
			d = min(d, 1)
		}
		switch {
		case d < best:
			best, out = d, []string{"--" + f.Name}
		case d == best:
			out = append(out, "--"+f.Name)
		}
	}
	cmd.Flags().VisitAll(visit)
	cmd.InheritedFlags().VisitAll(visit)
	if len(out) > 3 {
		out = out[:3]
	}
	return out
}

// editDistance is the Levenshtein distance between a and b, counted in bytes (flag names
// are ASCII).
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// unknownCommand is the usage error of a command line whose first word names no command.
func unknownCommand(root *cobra.Command, args []string) error {
	name := args[0]
	for _, a := range args {
		if !strings.HasPrefix(a, "-") {
			name = a
			break
		}
	}
	msg := fmt.Sprintf("unknown command %q", name)
	if s := root.SuggestionsFor(name); len(s) > 0 {
		msg += ": did you mean " + strings.Join(s, " or ") + "?"
	}
	return &ExitError{Code: ExitUsage, Err: &cmdLineError{msg: msg, usage: "Run 'pdbulk --help' for the commands.\n"}}
}

// usageArgs makes the errors of c's argument check usage errors.
func usageArgs(c *cobra.Command) {
	check := c.Args
	if check == nil {
		return
	}
	c.Args = func(cmd *cobra.Command, args []string) error {
		if err := check(cmd, args); err != nil {
			return &ExitError{Code: ExitUsage, Err: &cmdLineError{msg: err.Error(), usage: cmd.UsageString()}}
		}
		return nil
	}
}

// longFlags rewrites the single-dash long flags that pdbulk accepted before it used cobra
// (-sandbox, -dry-run=true) to their -- spelling, for scripts written then. Only names of
// flags of the command given are rewritten: shorthands (-o, -h) and values (-5s) stay.
func longFlags(root *cobra.Command, args []string) []string {
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd(args...)
	for _, c := range root.Commands() {
		if c.Name() == "help" && c.Run != nil {
			// help of a command that does not exist is a bad command line (exit 2), like the
			// command itself; cobra's own says "Unknown help topic" and exits 0.
			show := c.Run
			c.Run = nil
			c.RunE = func(cmd *cobra.Command, args []string) error {
				if len(args) > 0 {
					if found, _, err := root.Find(args); err != nil || found == root {
						return unknownCommand(root, args)
					}
				}
				show(cmd, args)
				return nil
			}
		}
		if c.Name() == "completion" {
			// An unknown shell is a bad command line (exit 2), as everywhere else.
			for _, sub := range c.Commands() {
				usageArgs(sub)
			}
			if c.RunE == nil && c.Run == nil {
				c.Args = cobra.ArbitraryArgs
				c.RunE = func(cmd *cobra.Command, args []string) error {
					if len(args) == 0 {
						return cmd.Help()
					}
					return &ExitError{Code: ExitUsage, Err: &cmdLineError{
						msg:   fmt.Sprintf("completion: unknown shell %q: want bash, zsh, fish or powershell", args[0]),
						usage: cmd.UsageString()}}
				}
			}
		}
	}
	cmd, _, err := root.Find(args)
	if err != nil || cmd == nil {
		return args
	}
	cmd.InitDefaultHelpFlag()
	cmd.InitDefaultVersionFlag()
	out := make([]string, 0, len(args))
	for i, a := range args {
		if a == "--" {
			return append(out, args[i:]...)
		}
		if len(a) > 2 && a[0] == '-' && a[1] != '-' {
			name, _, _ := strings.Cut(a[1:], "=")
			if len(name) > 1 && (cmd.Flags().Lookup(name) != nil || cmd.InheritedFlags().Lookup(name) != nil) {
				a = "-" + a
			}
		}
		out = append(out, a)
	}
	return out
}
