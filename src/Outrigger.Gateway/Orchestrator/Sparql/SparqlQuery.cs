namespace Outrigger.Gateway.Orchestrator.Sparql;

internal enum QueryForm
{
    Select,
    Ask,
}

/// <summary>A parsed query of the supported subset. Variables are numbered; <see cref="Variables"/> gives their names.</summary>
/// <param name="Projection">Variable numbers to return, in order (for <c>SELECT *</c>: every variable of the pattern).</param>
internal sealed record SparqlQuery(
    QueryForm Form,
    bool Distinct,
    IReadOnlyList<int> Projection,
    IReadOnlyList<TriplePattern> Patterns,
    IReadOnlyList<FilterExpression> Filters,
    long? Limit,
    IReadOnlyList<string> Variables);

/// <summary>A position of a pattern: a variable (by number) or a constant term id.</summary>
internal readonly record struct PatternTerm(int Variable, ulong Constant)
{
    public bool IsVariable => Variable >= 0;

    public static PatternTerm Var(int index) => new(index, 0);

    public static PatternTerm Const(ulong id) => new(-1, id);
}

/// <summary>A triple pattern. <paramref name="Graph"/> null: any graph (the default graph is their union); else the named graph it denotes.</summary>
internal sealed record TriplePattern(PatternTerm Subject, PatternTerm Predicate, PatternTerm Object, PatternTerm? Graph);

/// <summary>A FILTER expression over = and != with &amp;&amp;, || and !.</summary>
internal abstract record FilterExpression;

internal sealed record CompareExpression(PatternTerm Left, PatternTerm Right, bool Equal) : FilterExpression;

internal sealed record AndExpression(FilterExpression Left, FilterExpression Right) : FilterExpression;

internal sealed record OrExpression(FilterExpression Left, FilterExpression Right) : FilterExpression;

internal sealed record NotExpression(FilterExpression Operand) : FilterExpression;
