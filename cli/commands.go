package cli

import (
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/pdbulk/pdbulk/importer"
)

// The commands of pdbulk. Each binds its flags to an options value and calls the run
// function of its file; the flag names are those pdbulk has always had.

func newRunCmd(env *Env) *cobra.Command {
	var o runOptions
	cmd := &cobra.Command{
		Use:   "run JOB.yaml... [flags]",
		Short: "Run one or more jobs in order",
		Long: `Run one or more jobs in order: labels before leads, leads before files, exports last.

A run is checkpointed row by row: after an interruption (Ctrl-C, a lost connection, the daily
token budget spent) the same command resumes where it stopped and sends no row twice.
Rejected rows go to the job's reject report; fix them there and run again with
--only-failed. --sandbox runs against a Pipedrive-compatible sandbox inside this process
(in memory unless --sandbox-data DIR keeps it).`,
		Example: `  # Rehearse against an in-memory sandbox, then run for real
  pdbulk run leads.yaml --sandbox
  pdbulk run leads.yaml

  # Several jobs in one go (labels are created before the leads that use them)
  pdbulk run labels.yaml leads.yaml

  # Re-run the rows fixed in the reject report
  pdbulk run leads.yaml --only-failed

  # A nightly import in cron: wait for the budget and for an overlapping run
  pdbulk run leads.yaml --wait-for-budget --wait-for-lock --json 2>>import.log`,
		Annotations:       map[string]string{annotationJSON: "yes"},
		ValidArgsFunction: jobFileCompletion,
		RunE: func(_ *cobra.Command, args []string) error {
			o.jobFiles = args
			return runJobs(*env, o)
		},
	}
	o.register(cmd.Flags(), false)
	o.completions(cmd)
	return cmd
}

func newValidateCmd(env *Env) *cobra.Command {
	var o runOptions
	cmd := &cobra.Command{
		Use:   "validate JOB.yaml... [flags]",
		Short: "Read, map and check every row; no write; print a plan",
		Long: `Read, map and check every row of each job as a run would, and print a plan: the rows
that would be rejected and why, and the requests and tokens the run would take. Nothing is
written. Lookups are checked against the API when a connection is configured.
Same as pdbulk run --dry-run.`,
		Example: `  pdbulk validate leads.yaml
  pdbulk validate leads.yaml --sandbox
  pdbulk validate labels.yaml leads.yaml --json`,
		Annotations:       map[string]string{annotationJSON: "yes"},
		ValidArgsFunction: jobFileCompletion,
		RunE: func(_ *cobra.Command, args []string) error {
			o.jobFiles = args
			o.dryRun = true
			return runJobs(*env, o)
		},
	}
	o.register(cmd.Flags(), true)
	o.completions(cmd)
	return cmd
}

// completions registers the completion of the flags of run, validate and undo that take one
// of a few values.
func (o *runOptions) completions(cmd *cobra.Command) {
	_ = cmd.RegisterFlagCompletionFunc("search-api", fixedCompletion("v2", "v1", "auto"))
	_ = cmd.RegisterFlagCompletionFunc("sandbox-plan", fixedCompletion("lite", "growth", "premium", "ultimate"))
	_ = cmd.MarkFlagDirname("sandbox-data")
}

func newStatusCmd(env *Env) *cobra.Command {
	var statePath, sandboxData string
	cmd := &cobra.Command{
		Use:   "status JOB.yaml [flags]",
		Short: "Print the progress recorded in the job's checkpoint",
		Long: `Print what the job's checkpoint records: per account, the rows done, rejected, in doubt
and pending, the records created and undone, and what the next run will do. It reads only
the checkpoint and the job's input; it sends nothing.`,
		Example: `  pdbulk status leads.yaml
  pdbulk status leads.yaml --sandbox-data ./sandbox
  pdbulk status leads.yaml --state /var/lib/pdbulk/state.db`,
		ValidArgsFunction: jobFileCompletion,
		RunE: func(_ *cobra.Command, args []string) error {
			return statusCmd(*env, args, statePath, sandboxData)
		},
	}
	cmd.Flags().StringVar(&statePath, "state", "", "checkpoint database (default: .pdbulk/state.db beside the job file)")
	cmd.Flags().StringVar(&sandboxData, "sandbox-data", "", "the job ran with --sandbox --sandbox-data DIR: read the checkpoint kept in DIR")
	_ = cmd.MarkFlagDirname("sandbox-data")
	return cmd
}

func newUndoCmd(env *Env) *cobra.Command {
	var o undoOptions
	cmd := &cobra.Command{
		Use:   "undo JOB.yaml [flags]",
		Short: "Delete exactly the records the job created",
		Long: `Delete exactly the records the job created in the connected account, as its checkpoint
lists them; records that existed before, and records of other jobs, are never touched.
--dry-run lists what would be deleted and deletes nothing. On a terminal undo asks before
deleting; in a script (stdin not a terminal) it refuses unless --yes is given. An
interrupted undo resumes where it stopped when run again.`,
		Example: `  # See what would be deleted, then delete it
  pdbulk undo leads.yaml --dry-run
  pdbulk undo leads.yaml

  # In a script
  pdbulk undo leads.yaml --yes

  # Undo a rehearsal kept with --sandbox-data
  pdbulk undo leads.yaml --sandbox --sandbox-data ./sandbox --yes`,
		ValidArgsFunction: jobFileCompletion,
		RunE: func(_ *cobra.Command, args []string) error {
			o.jobFiles = args
			return undoCmd(*env, o)
		},
	}
	fs := cmd.Flags()
	o.register(fs, true)
	fs.StringVar(&o.statePath, "state", "", "checkpoint database (default: .pdbulk/state.db beside the job file)")
	fs.IntVar(&o.concurrency, "concurrency", 0, "parallel requests (default: the job's options.concurrency)")
	fs.BoolVar(&o.waitForLock, "wait-for-lock", false, "when another process runs the same job, wait for it to finish instead of refusing")
	fs.BoolVar(&o.list, "dry-run", false, "list the records undo would delete (entity, id, row, when created) and delete nothing")
	fs.DurationVar(&o.settle, "settle", importer.DefaultSettleTime, "how long the record of a row a killed run left in doubt is looked for after the row was sent (e.g. 30s, 2m)")
	fs.BoolVarP(&o.yes, "yes", "y", false, "delete without asking (needed when stdin is not a terminal)")
	o.completions(cmd)
	return cmd
}

func newInitCmd(env *Env) *cobra.Command {
	var o initOptions
	cmd := &cobra.Command{
		Use:   "init FILE [flags]",
		Short: "Draft a job file from a spreadsheet",
		Long: `Draft a job file from a spreadsheet: init finds the header row (past banners and blank
rows) and the sheet that holds data, maps the columns it recognises, and samples the data
for types, date formats, decimal commas and the encoding. The draft passes
'pdbulk validate' on the file it came from; columns it could not map are listed as
comments. Without -o the draft is printed on stdout.`,
		Example: `  pdbulk init --entity leads leads.xlsx -o leads.yaml
  pdbulk init contacts.csv --entity leads --header-row 3 > leads.yaml
  pdbulk init labels.xlsx --entity lead_labels --sheet Labels -o labels.yaml`,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.headerRowGiven = cmd.Flags().Changed("header-row")
			return initCmd(*env, o, args)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&o.entity, "entity", "leads", "entity the job imports: leads, lead_labels, filters, goals, teams, files")
	fs.StringVarP(&o.out, "output", "o", "", "write the job here instead of stdout (an existing file is not overwritten)")
	fs.StringVar(&o.sheet, "sheet", "", "XLSX sheet to read, by name or number as a job's sheet: 2 (default: the sheet holding a table)")
	fs.IntVar(&o.headerRow, "header-row", 1, "row that holds the column names (when not given: the first row that reads as column names)")
	// --o, as the standard flag package spelt -o before, still names --output.
	fs.SetNormalizeFunc(func(_ *pflag.FlagSet, name string) pflag.NormalizedName {
		if name == "o" {
			name = "output"
		}
		return pflag.NormalizedName(name)
	})
	_ = cmd.RegisterFlagCompletionFunc("entity", fixedCompletion("leads", "lead_labels", "filters", "goals", "teams", "files"))
	_ = cmd.MarkFlagFilename("output", "yaml", "yml")
	return cmd
}

func newSandboxCmd(env *Env) *cobra.Command {
	var o sandboxOptions
	cmd := &cobra.Command{
		Use:   "sandbox [flags]",
		Short: "Serve a local Pipedrive-compatible API",
		Long: `Serve a local Pipedrive-compatible API (the endpoints pdbulk uses) until Ctrl-C. It
emulates a plan's rate limits, daily budget and headers (growth unless --plan or
--no-limits), and can inject faults. It prints PIPEDRIVE_BASE_URL=… on stdout; the
token is --token, or a random one printed on stderr. Data lives in memory unless --data DIR.`,
		Example: `  pdbulk sandbox --token dev-token --data ./sandbox
  pdbulk sandbox --addr 127.0.0.1:0 --plan lite --faults 5xx=0.05,lost=0.01
  pdbulk sandbox --no-limits --seed-leads 100000`,
		RunE: func(_ *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageError("sandbox: takes no argument (got %q); flags start with --", args[0])
			}
			return sandboxCmd(*env, o)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&o.addr, "addr", "127.0.0.1:8080", "listen address (loopback unless --allow-remote)")
	fs.StringVar(&o.token, "token", "", "API token clients must send (default: a random one, printed)")
	fs.StringVar(&o.data, "data", "", "folder for the SQLite database (default: in memory)")
	fs.BoolVar(&o.allowRemote, "allow-remote", false, "allow listening on a non-loopback address")
	fs.IntVar(&o.seed, "seed-leads", 0, "on a sandbox that holds no lead, load this many sample leads first (for benchmarks)")
	fs.StringVar(&o.maxUpload, "max-upload", "32MiB", "largest file upload accepted (POST /files answers 413 above it), e.g. 600MiB; uploads are streamed to disk")
	o.em.register(fs)
	_ = cmd.RegisterFlagCompletionFunc("plan", fixedCompletion("lite", "growth", "premium", "ultimate"))
	_ = cmd.MarkFlagDirname("data")
	return cmd
}
