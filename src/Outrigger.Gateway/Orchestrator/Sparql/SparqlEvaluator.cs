using Outrigger.Gateway.Orchestrator.Store;

namespace Outrigger.Gateway.Orchestrator.Sparql;

/// <summary>
/// Evaluates a <see cref="SparqlQuery"/> over a <see cref="QuadIndex"/>: an index nested-loop join over the triple patterns
/// in a greedy order (most bound positions first), each FILTER applied as soon as its variables are bound.
/// </summary>
internal sealed class SparqlEvaluator
{
    private readonly SparqlQuery _query;
    private readonly QuadIndex _index;
    private readonly int _maxResults;
    private readonly CancellationToken _cancellation;
    private readonly TriplePattern[] _plan;
    private readonly List<FilterExpression>[] _filtersAfter;
    private readonly ulong[] _values;
    private readonly bool[] _bound;
    private readonly List<ulong?[]> _rows = [];
    private readonly HashSet<string>? _seen;
    private long _steps;
    private bool _done;

    private SparqlEvaluator(SparqlQuery query, QuadIndex index, int maxResults, CancellationToken cancellation)
    {
        _query = query;
        _index = index;
        _maxResults = maxResults;
        _cancellation = cancellation;
        _values = new ulong[query.Variables.Count];
        _bound = new bool[query.Variables.Count];
        _seen = query.Distinct ? new HashSet<string>(StringComparer.Ordinal) : null;
        (_plan, _filtersAfter) = Plan(query, index);
    }

    /// <summary>
    /// The solutions, projected (null = unbound). For ASK, one empty row when there is a solution, none otherwise.
    /// More than <paramref name="maxResults"/> solutions (without a smaller LIMIT) fails with <see cref="SparqlResultLimitException"/>.
    /// </summary>
    public static IReadOnlyList<ulong?[]> Evaluate(SparqlQuery query, QuadIndex index, int maxResults, CancellationToken cancellation)
    {
        var evaluator = new SparqlEvaluator(query, index, maxResults, cancellation);
        if (query.Limit != 0)
        {
            evaluator.Join(0);
        }

        return evaluator._rows;
    }

    private static (TriplePattern[], List<FilterExpression>[]) Plan(SparqlQuery query, QuadIndex index)
    {
        var remaining = new List<TriplePattern>(query.Patterns);
        var bound = new HashSet<int>();
        var plan = new TriplePattern[remaining.Count];
        for (var step = 0; step < plan.Length; step++)
        {
            var best = remaining.MaxBy(p => (BoundPositions(p, bound), -Candidates(p, index)))!;
            remaining.Remove(best);
            plan[step] = best;
            foreach (var v in VariablesOf(best))
            {
                bound.Add(v);
            }
        }

        var filtersAfter = new List<FilterExpression>[plan.Length];
        for (var i = 0; i < plan.Length; i++)
        {
            filtersAfter[i] = [];
        }

        foreach (var filter in query.Filters)
        {
            filtersAfter[FirstStepBinding(filter, plan)].Add(filter);
        }

        return (plan, filtersAfter);
    }

    private static int BoundPositions(TriplePattern p, HashSet<int> bound)
    {
        var n = 0;
        foreach (var t in Terms(p))
        {
            n += !t.IsVariable || bound.Contains(t.Variable) ? 1 : 0;
        }

        return n;
    }

    private static int Candidates(TriplePattern p, QuadIndex index) =>
        index.Candidates(Constant(p.Subject), Constant(p.Predicate), Constant(p.Object)).Count;

    private static ulong? Constant(PatternTerm t) => t.IsVariable ? null : t.Constant;

    private static IEnumerable<PatternTerm> Terms(TriplePattern p)
    {
        yield return p.Subject;
        yield return p.Predicate;
        yield return p.Object;
        if (p.Graph is { } g)
        {
            yield return g;
        }
    }

    private static IEnumerable<int> VariablesOf(TriplePattern p) => Terms(p).Where(t => t.IsVariable).Select(t => t.Variable);

    /// <summary>The plan step after which every variable of <paramref name="filter"/> is bound (the last step if never).</summary>
    private static int FirstStepBinding(FilterExpression filter, TriplePattern[] plan)
    {
        var needed = new HashSet<int>();
        Collect(filter, needed);
        for (var i = 0; i < plan.Length; i++)
        {
            needed.ExceptWith(VariablesOf(plan[i]));
            if (needed.Count == 0)
            {
                return i;
            }
        }

        return plan.Length - 1;
    }

    private static void Collect(FilterExpression e, HashSet<int> into)
    {
        switch (e)
        {
            case CompareExpression c:
                AddIfVariable(c.Left, into);
                AddIfVariable(c.Right, into);
                break;
            case AndExpression a:
                Collect(a.Left, into);
                Collect(a.Right, into);
                break;
            case OrExpression o:
                Collect(o.Left, into);
                Collect(o.Right, into);
                break;
            case NotExpression n:
                Collect(n.Operand, into);
                break;
        }
    }

    private static void AddIfVariable(PatternTerm t, HashSet<int> into)
    {
        if (t.IsVariable)
        {
            into.Add(t.Variable);
        }
    }

    private void Join(int step)
    {
        if (step == _plan.Length)
        {
            Emit();
            return;
        }

        var pattern = _plan[step];
        var candidates = _index.Candidates(Resolve(pattern.Subject), Resolve(pattern.Predicate), Resolve(pattern.Object));
        Span<int> newlyBound = stackalloc int[4];
        foreach (var quad in candidates)
        {
            if ((++_steps & 0xFFF) == 0)
            {
                _cancellation.ThrowIfCancellationRequested();
            }

            var count = 0;
            if (Match(pattern, quad, newlyBound, ref count) && PassesFilters(step))
            {
                Join(step + 1);
            }

            for (var i = 0; i < count; i++)
            {
                _bound[newlyBound[i]] = false;
            }

            if (_done)
            {
                return;
            }
        }
    }

    private ulong? Resolve(PatternTerm t) => !t.IsVariable ? t.Constant : _bound[t.Variable] ? _values[t.Variable] : null;

    private bool Match(TriplePattern pattern, Quad quad, Span<int> newlyBound, ref int count)
    {
        if (pattern.Graph is not null && !quad.HasGraph)
        {
            return false;
        }

        return Unify(pattern.Subject, quad.S, newlyBound, ref count)
            && Unify(pattern.Predicate, quad.P, newlyBound, ref count)
            && Unify(pattern.Object, quad.O, newlyBound, ref count)
            && (pattern.Graph is not { } g || Unify(g, quad.G, newlyBound, ref count));
    }

    private bool Unify(PatternTerm term, ulong value, Span<int> newlyBound, ref int count)
    {
        if (!term.IsVariable)
        {
            return term.Constant == value;
        }

        if (_bound[term.Variable])
        {
            return _values[term.Variable] == value;
        }

        _values[term.Variable] = value;
        _bound[term.Variable] = true;
        newlyBound[count++] = term.Variable;
        return true;
    }

    private bool PassesFilters(int step)
    {
        foreach (var filter in _filtersAfter[step])
        {
            if (Test(filter) != true)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>SPARQL's three-valued logic: null is an error (an unbound variable), which only || and &amp;&amp; can absorb.</summary>
    private bool? Test(FilterExpression e) => e switch
    {
        CompareExpression c => Resolve(c.Left) is { } l && Resolve(c.Right) is { } r ? (l == r) == c.Equal : null,
        AndExpression a => Test(a.Left) is var l && l == false ? false : Test(a.Right) is var r && r == false ? false : l is null || r is null ? null : true,
        OrExpression o => Test(o.Left) is var l && l == true ? true : Test(o.Right) is var r && r == true ? true : l is null || r is null ? null : false,
        NotExpression n => !Test(n.Operand),
        _ => null,
    };

    private void Emit()
    {
        var projection = _query.Projection;
        var row = new ulong?[projection.Count];
        for (var i = 0; i < row.Length; i++)
        {
            var v = projection[i];
            row[i] = _bound[v] ? _values[v] : null;
        }

        if (_seen is not null && !_seen.Add(string.Join(',', row)))
        {
            return;
        }

        if (_query.Form == QueryForm.Ask)
        {
            _rows.Add([]);
            _done = true;
            return;
        }

        if (_rows.Count >= _maxResults)
        {
            throw new SparqlResultLimitException(_maxResults);
        }

        _rows.Add(row);
        _done = _rows.Count >= _query.Limit;
    }
}

/// <summary>A query with more solutions than the orchestrator returns at once.</summary>
internal sealed class SparqlResultLimitException(int limit)
    : Exception($"the query has more than {limit} solutions; add LIMIT {limit} or less, or narrow the pattern")
{
    public int Limit { get; } = limit;
}
