namespace Outrigger.Gateway.Orchestrator.Sparql;

/// <summary>A query that is not valid SPARQL, or uses SPARQL beyond the supported subset. The message says where and why.</summary>
internal sealed class SparqlException : Exception
{
    public SparqlException(string message)
        : base(message)
    {
    }

    public SparqlException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public SparqlException()
    {
    }

    public static SparqlException Syntax(Token at, string message) => new($"invalid SPARQL at {at.Line}:{at.Column}: {message}");

    public static SparqlException Unsupported(Token at, string message) =>
        new($"unsupported SPARQL at {at.Line}:{at.Column}: {message} (supported: SELECT and ASK over basic graph patterns, GRAPH, FILTER with = and !=, DISTINCT, LIMIT)");
}
