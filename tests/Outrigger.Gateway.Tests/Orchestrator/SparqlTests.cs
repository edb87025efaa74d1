using Outrigger.Gateway.Orchestrator.Sparql;
using Outrigger.Gateway.Orchestrator.Store;

namespace Outrigger.Gateway.Tests.Orchestrator;

public sealed class SparqlTests
{
    private readonly QuadIndex _index = new();

    public SparqlTests()
    {
        // 1 -7-> 2, 2 -7-> 3, 1 -8-> 3, 4 -7-> 4 in the default graph; 1 -7-> 5 in graph 100.
        Add(1, 7, 2);
        Add(2, 7, 3);
        Add(1, 8, 3);
        Add(4, 7, 4);
        Add(1, 7, 5, 100);
    }

    [Fact]
    public void Select_SinglePattern_MatchesEveryGraph()
    {
        var rows = Run("SELECT ?o WHERE { <urn:knhk:1> <urn:knhk:7> ?o }");

        Assert.Equal(["2", "5"], rows.Select(r => r[0].ToString()!).Order());
    }

    [Fact]
    public void Select_JoinOverSharedVariable_FollowsThePath()
    {
        var rows = Run("PREFIX k: <urn:knhk:>\nSELECT ?a ?c WHERE { ?a k:7 ?b . ?b k:7 ?c . }");

        Assert.Equal(["1,3", "4,4"], rows.Select(r => string.Join(',', r)).Order());
    }

    [Fact]
    public void Select_SameVariableTwice_RequiresEqualTerms()
    {
        var row = Assert.Single(Run("SELECT * WHERE { ?x <urn:knhk:7> ?x }"));

        Assert.Equal(4UL, row[0]);
    }

    [Fact]
    public void Select_GraphClause_MatchesNamedGraphsOnlyAndBindsTheGraph()
    {
        var row = Assert.Single(Run("SELECT ?g ?o WHERE { GRAPH ?g { <urn:knhk:1> <urn:knhk:7> ?o } }"));

        Assert.Equal([100UL, 5UL], row.Select(v => v!.Value));
        Assert.Empty(Run("SELECT ?o WHERE { GRAPH <urn:knhk:999> { ?s ?p ?o } }"));
    }

    [Fact]
    public void Select_FilterEqualityAndInequality_KeepsMatchingSolutions()
    {
        var rows = Run("SELECT ?s ?o WHERE { ?s <urn:knhk:7> ?o FILTER (?s != ?o && (?o = <urn:knhk:2> || ?o = <urn:knhk:3>)) }");

        Assert.Equal(["1,2", "2,3"], rows.Select(r => string.Join(',', r)).Order());
    }

    [Fact]
    public void Select_FilterOnUnboundVariable_EliminatesTheSolution()
    {
        Assert.Empty(Run("SELECT ?s WHERE { ?s <urn:knhk:8> ?o FILTER (?nowhere = <urn:knhk:1>) }"));
        Assert.Single(Run("SELECT ?s WHERE { ?s <urn:knhk:8> ?o FILTER (?nowhere = <urn:knhk:1> || ?s = <urn:knhk:1>) }"));
    }

    [Fact]
    public void Select_DistinctAndLimit_DeduplicateAndStop()
    {
        Assert.Equal(2, Run("SELECT DISTINCT ?s WHERE { ?s ?p ?o } LIMIT 2").Count);
        Assert.Equal(3, Run("SELECT DISTINCT ?s WHERE { ?s ?p ?o }").Count);
        Assert.Empty(Run("SELECT ?s WHERE { ?s ?p ?o } LIMIT 0"));
    }

    [Fact]
    public void Ask_TrueAndFalse()
    {
        Assert.Single(Run("ASK { <urn:knhk:1> <urn:knhk:8> <urn:knhk:3> }"));
        Assert.Empty(Run("ASK WHERE { <urn:knhk:3> <urn:knhk:8> <urn:knhk:1> }"));
    }

    [Fact]
    public void Evaluate_MoreSolutionsThanTheCap_FailsUnlessLimited()
    {
        var query = SparqlParser.Parse("SELECT * WHERE { ?s ?p ?o }");

        var ex = Assert.Throws<SparqlResultLimitException>(() => SparqlEvaluator.Evaluate(query, _index, 3, CancellationToken.None));
        Assert.Contains("more than 3 solutions", ex.Message, StringComparison.Ordinal);
        Assert.Equal(3, SparqlEvaluator.Evaluate(SparqlParser.Parse("SELECT * WHERE { ?s ?p ?o } LIMIT 3"), _index, 3, CancellationToken.None).Count);
    }

    [Theory]
    [InlineData("SELECT ?s WHERE { ?s ?p ?o OPTIONAL { ?s ?q ?r } }", "unsupported SPARQL at 1:28: OPTIONAL is not supported")]
    [InlineData("SELECT ?s WHERE { { ?s ?p ?o } UNION { ?o ?p ?s } }", "unsupported SPARQL at 1:19: nested groups")]
    [InlineData("SELECT ?s WHERE { ?s ?p \"x\" }", "unsupported SPARQL at 1:25: literals such as '\"x\"' are not supported")]
    [InlineData("SELECT ?s WHERE { ?s a <urn:knhk:1> }", "unsupported SPARQL at 1:22: the keyword 'a' (rdf:type)")]
    [InlineData("SELECT ?s WHERE { ?s <http://example.org/p> ?o }", "unsupported SPARQL at 1:22: the IRI <http://example.org/p> is not a term id")]
    [InlineData("SELECT ?s WHERE { ?s ?p ?o } ORDER BY ?s", "unsupported SPARQL at 1:30: ORDER is not supported")]
    [InlineData("SELECT ?s WHERE { ?s ?p ?o FILTER (?s < ?o) }", "unsupported SPARQL at 1:39: the operator '<' is not supported")]
    [InlineData("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", "unsupported SPARQL at 1:1: CONSTRUCT is not supported")]
    [InlineData("INSERT DATA { <urn:knhk:1> <urn:knhk:2> <urn:knhk:3> }", "unsupported SPARQL at 1:1: INSERT is not supported")]
    [InlineData("SELECT ?s WHERE { ?s x:p ?o }", "invalid SPARQL at 1:22: the prefix 'x:' is not declared")]
    [InlineData("SELECT ?s WHERE { ?s ?p }", "invalid SPARQL at 1:25: expected an object (variable or IRI) but found '}'")]
    [InlineData("SELECT ?s WHERE { ?s ?p ?o", "invalid SPARQL at 1:27: expected '.', ';', ',' or '}' after a triple pattern but found the end of the query")]
    [InlineData("SELECT ?s WHERE { ?s ?p ?o .", "invalid SPARQL at 1:29: expected '}' to close the group")]
    [InlineData("SELEKT ?s WHERE { ?s ?p ?o }", "invalid SPARQL at 1:1: expected PREFIX, SELECT or ASK but found 'SELEKT'")]
    [InlineData("SELECT ?s WHERE { }", "the WHERE clause has no triple pattern")]
    [InlineData("   ", "invalid SPARQL: the query is empty")]
    [InlineData("SELECT ?s WHERE { ?s ?p ?o } LIMIT 5 extra", "invalid SPARQL at 1:38: unexpected 'extra' after the query")]
    public void Parse_InvalidOrUnsupported_SaysWhereAndWhy(string query, string expected)
    {
        var ex = Assert.Throws<SparqlException>(() => SparqlParser.Parse(query));

        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_MultiLineQuery_ReportsLineAndColumn()
    {
        var ex = Assert.Throws<SparqlException>(() => SparqlParser.Parse("SELECT ?s\nWHERE {\n  ?s ?p ?o .\n  MINUS { ?s ?p ?o }\n}"));

        Assert.StartsWith("unsupported SPARQL at 4:3: MINUS", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("urn:knhk:0", true, 0UL)]
    [InlineData("urn:knhk:18446744073709551615", true, ulong.MaxValue)]
    [InlineData("urn:knhk:18446744073709551616", false, 0UL)]
    [InlineData("urn:knhk:-1", false, 0UL)]
    [InlineData("urn:knhk:", false, 0UL)]
    [InlineData("urn:other:5", false, 0UL)]
    public void TryParseTermIri_AcceptsOnlyUrnKnhkWithU64(string iri, bool ok, ulong id)
    {
        Assert.Equal(ok, SparqlParser.TryParseTermIri(iri, out var parsed));
        Assert.Equal(id, parsed);
    }

    private List<ulong?[]> Run(string sparql) => [.. SparqlEvaluator.Evaluate(SparqlParser.Parse(sparql), _index, 1000, CancellationToken.None)];

    private void Add(ulong s, ulong p, ulong o, ulong? g = null) => _index.Add(new Quad(s, p, o, g.HasValue, g ?? 0));
}
