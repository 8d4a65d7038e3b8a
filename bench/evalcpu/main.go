// Command evalcpu times evaluations of prepared Rego queries against one input
// in alternation, as bench/rego_bench.py's measurement: what `opa bench` does
// (the query prepared once, the input parsed once, the result not rendered),
// with each side's batches interleaved with the other's so both meet the same
// host speed, and timed in CPU time (the process's user + system time, Go's
// collector included), which time spent waiting for a core does not count.
//
// It reads a JSON request on stdin:
//
//	{"input": "input.json", "rounds": 15, "batch_ms": 200,
//	 "sides": [{"query": "data.x.y", "bundles": ["dir"], "files": ["a.rego", "b.json"]}, ...]}
//
// and writes, per side, the CPU nanoseconds and bytes allocated per
// evaluation of every round. A round evaluates each side's query for about
// batch_ms, after a collection (as testing.B before a timed run), so the
// collections during a batch are those of the side's own garbage.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime"
	"syscall"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/util"
)

type side struct {
	Query   string   `json:"query"`
	Bundles []string `json:"bundles"`
	Files   []string `json:"files"`
}

type request struct {
	Input   string `json:"input"`
	Rounds  int    `json:"rounds"`
	BatchMS int    `json:"batch_ms"`
	Sides   []side `json:"sides"`
}

// Per evaluation, one entry per round.
type result struct {
	CPU   []float64 `json:"cpu_ns"`
	Bytes []float64 `json:"bytes"`
	Batch int       `json:"batch"` // evaluations per round
}

func cpuNow() time.Duration {
	var usage syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &usage); err != nil {
		panic(err)
	}
	return time.Duration(usage.Utime.Nano() + usage.Stime.Nano())
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "evalcpu:", err)
		os.Exit(2)
	}
}

func run() error {
	var req request
	if err := json.NewDecoder(os.Stdin).Decode(&req); err != nil {
		return fmt.Errorf("request: %w", err)
	}
	raw, err := os.ReadFile(req.Input)
	if err != nil {
		return err
	}
	var document any
	if err := util.UnmarshalJSON(raw, &document); err != nil {
		return fmt.Errorf("%s: %w", req.Input, err)
	}
	input, err := ast.InterfaceToValue(document)
	if err != nil {
		return err
	}
	ctx := context.Background()
	evals := make([]func() error, len(req.Sides))
	for i, s := range req.Sides {
		options := []func(*rego.Rego){
			rego.Query(s.Query),
			// As opa bench: the result is not turned into Go values.
			rego.GenerateJSON(func(*ast.Term, *rego.EvalContext) (any, error) { return nil, nil }),
		}
		for _, b := range s.Bundles {
			options = append(options, rego.LoadBundle(b))
		}
		if len(s.Files) > 0 {
			options = append(options, rego.Load(s.Files, nil))
		}
		query, err := rego.New(options...).PrepareForEval(ctx)
		if err != nil {
			return fmt.Errorf("%s: %w", s.Query, err)
		}
		evals[i] = func() error {
			rs, err := query.Eval(ctx, rego.EvalParsedInput(input))
			if err == nil && len(rs) == 0 {
				err = errors.New(s.Query + " is undefined")
			}
			return err
		}
	}
	results := make([]result, len(req.Sides))
	// A batch is as many evaluations as take about batch_ms, from a first timed one (after a warm-up).
	for i, eval := range evals {
		if err := eval(); err != nil {
			return err
		}
		start := cpuNow()
		if err := eval(); err != nil {
			return err
		}
		one := cpuNow() - start
		results[i].Batch = max(1, int(time.Duration(req.BatchMS)*time.Millisecond/max(one, time.Microsecond)))
	}
	var before, after runtime.MemStats
	for round := range req.Rounds {
		for j := range evals {
			i := j
			if round%2 == 1 { // which side goes first alternates
				i = len(evals) - 1 - j
			}
			n := results[i].Batch
			runtime.GC()
			runtime.ReadMemStats(&before)
			cpu := cpuNow()
			for range n {
				if err := evals[i](); err != nil {
					return err
				}
			}
			cpuSpent := cpuNow() - cpu
			runtime.ReadMemStats(&after)
			results[i].CPU = append(results[i].CPU, float64(cpuSpent)/float64(n))
			results[i].Bytes = append(results[i].Bytes, float64(after.TotalAlloc-before.TotalAlloc)/float64(n))
		}
	}
	return json.NewEncoder(os.Stdout).Encode(results)
}
