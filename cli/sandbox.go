package cli

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/pdbulk/pdbulk/jobs"
	"github.com/pdbulk/pdbulk/sandbox"
)

// sandboxOptions are the flags of `pdbulk sandbox`.
type sandboxOptions struct {
	addr, token, data, maxUpload string
	allowRemote                  bool
	seed                         int
	em                           emulationFlags
}

func sandboxCmd(env Env, o sandboxOptions) error {
	em := o.em
	addr, token, data, allowRemote, seed, maxUpload := &o.addr, &o.token, &o.data, &o.allowRemote, &o.seed, &o.maxUpload
	emulation, err := em.emulation()
	if err != nil {
		return usageError("--faults: %v", err) // err names the sandbox already
	}
	if err := em.check("--"); err != nil {
		return err
	}
	uploadLimit, err := jobs.ParseSize(*maxUpload)
	if err != nil || uploadLimit < 1<<10 {
		return usageError("sandbox: --max-upload %q: want a size of at least 1 KiB, e.g. 32MiB or 600MiB", *maxUpload)
	}
	if _, _, err := net.SplitHostPort(*addr); err != nil {
		return usageError("sandbox: --addr %q is not HOST:PORT (e.g. 127.0.0.1:8080): %v", *addr, err)
	}
	if !*allowRemote && !sandbox.IsLoopbackAddr(*addr) {
		return usageError("sandbox: --addr %s is not a loopback address; add --allow-remote to serve it to other machines", *addr)
	}
	if *token == "" {
		*token = randomToken()
		fmt.Fprintf(env.Stderr, "pdbulk sandbox: generated token %s\n", *token)
	}
	srv, err := sandbox.New(sandbox.Options{
		Token:        *token,
		DataDir:      *data,
		Plan:         em.planName(),
		Addr:         *addr,
		AllowRemote:  *allowRemote,
		Emulation:    emulation,
		MaxBodyBytes: uploadLimit,
		Logf: func(format string, a ...any) {
			fmt.Fprintf(env.Stderr, "pdbulk sandbox: "+format+"\n", a...)
		},
	})
	if err != nil {
		return err // sandbox errors name the sandbox
	}
	if *seed > 0 {
		if err := seedLeads(env, srv, *seed); err != nil {
			_ = srv.Close()
			return err
		}
	}
	base, err := srv.Start()
	if err != nil {
		_ = srv.Close()
		return err
	}
	fmt.Fprintf(env.Stderr, "pdbulk sandbox: serving %s (Ctrl-C to stop)\n", base)
	fmt.Fprintf(env.Stdout, "PIPEDRIVE_BASE_URL=%s\n", base)
	<-env.Stop.Done()
	return srv.Close()
}

// emulationFlags are the sandbox's limit and fault flags, shared by `pdbulk sandbox` and
// `pdbulk run --sandbox`.
type emulationFlags struct {
	rate, searchRate, budget int
	latency                  time.Duration
	faults                   string
	seed                     int64
	plan                     string // "" = sandbox.DefaultPlan
	noLimits                 bool
	noV2                     bool
}

func (f *emulationFlags) register(fs flagSet) {
	fs.StringVar(&f.plan, "plan", "", "the Pipedrive plan whose limits and headers to emulate: lite, growth, premium or ultimate (default growth)")
	fs.BoolVar(&f.noLimits, "no-limits", false, "emulate no rate limit and no daily budget, and send no rate-limit headers (raw benchmarks)")
	fs.IntVar(&f.rate, "rate", 0, "burst limit: requests per 2-second window per token (0 = the plan's; plans: 20, 40, 100, 120)")
	fs.IntVar(&f.searchRate, "search-rate", 0, "burst limit of search endpoints per 2 s (0 = the plan's)")
	fs.IntVar(&f.budget, "daily-budget", 0, "daily token budget (0 = the plan's: 30000 x plan multiplier x 4 seats)")
	fs.DurationVar(&f.latency, "latency", 0, "latency added to every answer, e.g. 20ms")
	fs.StringVar(&f.faults, "faults", "", "fault rates, e.g. 5xx=0.1,reset=0.02,lost=0.02,slow=0.01,slow_delay=2s,429=0.01,storm=3s")
	fs.Int64Var(&f.seed, "seed", 0, "random seed of the faults (0 = time-based)")
	fs.BoolVar(&f.noV2, "no-v2", false, "answer 404 for every API v2 endpoint, like a server without API v2")
}

// check refuses negative limits and latency; prefix is how the flags are spelt ("--" or
// "--sandbox-").
func (f *emulationFlags) check(prefix string) error {
	switch {
	case f.rate < 0:
		return usageError("%srate %d: want 0 (no limit) or more", prefix, f.rate)
	case f.searchRate < 0:
		return usageError("%ssearch-rate %d: want 0 (same as rate) or more", prefix, f.searchRate)
	case f.budget < 0:
		return usageError("%sdaily-budget %d: want 0 (unlimited) or more", prefix, f.budget)
	case f.latency < 0:
		return usageError("%slatency %s: want 0 or more", prefix, f.latency)
	case f.plan != "" && f.noLimits:
		return usageError("%splan and %sno-limits contradict each other: give one", prefix, prefix)
	}
	if _, ok := sandbox.FindPlan(f.planName()); f.planName() != "" && !ok {
		return usageError("%splan %q: want lite, growth, premium or ultimate", prefix, f.plan)
	}
	return nil
}

// planName is the plan the sandbox emulates: "" with --no-limits.
func (f *emulationFlags) planName() string {
	switch {
	case f.noLimits:
		return ""
	case f.plan == "":
		return sandbox.DefaultPlan
	}
	return f.plan
}

func (f *emulationFlags) emulation() (sandbox.Emulation, error) {
	e := sandbox.Emulation{
		RateLimit:       f.rate,
		SearchRateLimit: f.searchRate,
		DailyBudget:     f.budget,
		Latency:         f.latency,
		Seed:            f.seed,
		NoV2:            f.noV2,
	}
	if f.faults != "" {
		faults, err := sandbox.ParseFaults(f.faults)
		if err != nil {
			return e, err
		}
		e.Faults = faults
	}
	return e, nil
}

func randomToken() string {
	b := make([]byte, 20)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b)
}

// flagSet is the part of *pflag.FlagSet that commands register flags with.
type flagSet interface {
	BoolVar(*bool, string, bool, string)
	IntVar(*int, string, int, string)
	Int64Var(*int64, string, int64, string)
	StringVar(*string, string, string, string)
	DurationVar(*time.Duration, string, time.Duration, string)
}

// prefixed registers flags under a prefix (--sandbox-rate for the sandbox of pdbulk run).
type prefixed struct {
	fs     flagSet
	prefix string
}

func (p prefixed) BoolVar(v *bool, name string, def bool, usage string) {
	p.fs.BoolVar(v, p.prefix+name, def, usage)
}
func (p prefixed) IntVar(v *int, name string, def int, usage string) {
	p.fs.IntVar(v, p.prefix+name, def, usage)
}
func (p prefixed) Int64Var(v *int64, name string, def int64, usage string) {
	p.fs.Int64Var(v, p.prefix+name, def, usage)
}
func (p prefixed) StringVar(v *string, name string, def string, usage string) {
	p.fs.StringVar(v, p.prefix+name, def, usage)
}
func (p prefixed) DurationVar(v *time.Duration, name string, def time.Duration, usage string) {
	p.fs.DurationVar(v, p.prefix+name, def, usage)
}

// errHasLeads ends the walk that checks whether a sandbox holds a lead.
var errHasLeads = errors.New("the sandbox holds leads")

// seedLeads loads n sample leads (titles that repeat, amounts in four currencies, owners,
// people, organizations, labels, a year of add and update times, some archived) into a
// sandbox that holds none.
func seedLeads(env Env, srv *sandbox.Server, n int) error {
	err := srv.EachLead(env.Stop, func(sandbox.Lead) error { return errHasLeads })
	switch {
	case errors.Is(err, errHasLeads):
		fmt.Fprintf(env.Stderr, "pdbulk sandbox: --seed-leads: the sandbox holds leads already; none loaded\n")
		return nil
	case err != nil:
		return err
	}
	start := time.Now()
	if err := srv.InsertLeads(env.Stop, n, sandbox.SampleLeads(n, time.Now(), srv.LeadLabelIDs())); err != nil {
		return err
	}
	fmt.Fprintf(env.Stderr, "pdbulk sandbox: loaded %d sample leads in %s\n", n, time.Since(start).Round(time.Millisecond))
	return nil
}
