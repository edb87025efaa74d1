using System.Text.Json.Nodes;
using static Outrigger.Gateway.Tests.Acceptance.PythonKgcClient;

namespace Outrigger.Gateway.Tests.Acceptance;

/// <summary>Bad input gets a clear error and disturbs nothing else.</summary>
public sealed class BadInputAcceptanceTests
{
    [Fact]
    public async Task SubmitTransaction_Empty_IsRejectedWhileItsNeighbourCommits()
    {
        await using var harness = await GatewayHarness.StartAsync();

        var results = await RunAsync(harness.Target, [Transaction(), Transaction((1, 2, 3))]);

        Assert.Equal("INVALID_ARGUMENT", results[0].Code);
        Assert.Equal("empty transaction: it has no additions and no removals", results[0].Details);
        Assert.Equal("OK", results[1].Code);
        Assert.Equal(1UL, results[1].ReceiptField("lanes"));
    }

    [Fact]
    public async Task SubmitTransaction_OverTheTripleLimit_IsRejectedNamingTheLimit()
    {
        await using var harness = await GatewayHarness.StartAsync(GatewayHarness.FastOptions() with { MaxTransactionTriples = 100 });
        var huge = Transaction([.. Enumerable.Range(0, 101).Select(i => ((ulong)i, 1UL, 1UL))]);

        var results = await RunAsync(harness.Target, [huge, Transaction((1, 2, 3))]);

        Assert.Equal("INVALID_ARGUMENT", results[0].Code);
        Assert.Equal("transaction too large: 101 triples (additions + removals) exceed the limit of 100 (gateway.max_transaction_triples)", results[0].Details);
        Assert.Equal("OK", results[1].Code);
        Assert.Equal(1, harness.Orchestrator.Store.QuadCount);
    }

    [Fact]
    public async Task SubmitTransaction_OverTheMessageSizeLimit_FailsWithResourceExhausted()
    {
        await using var harness = await GatewayHarness.StartAsync();
        var huge = Transaction([.. Enumerable.Range(0, 130_000).Select(i => (ulong.MaxValue - (ulong)i, ulong.MaxValue, ulong.MaxValue))]);

        var results = await RunAsync(harness.Target, [huge]);

        Assert.Equal("RESOURCE_EXHAUSTED", results[0].Code);
        Assert.Contains("larger than", results[0].Details, StringComparison.OrdinalIgnoreCase);
        Assert.Equal("OK", (await RunAsync(harness.Target, [Transaction((1, 2, 3))]))[0].Code);
    }

    [Fact]
    public async Task SubmitQuery_InvalidOrUnsupportedSparql_GetsInvalidArgumentWithTheReasonAndLeavesTheBreakerClosed()
    {
        await using var harness = await GatewayHarness.StartAsync();

        var results = await RunAsync(harness.Target, [
            Query("SELECT ?s WHERE { ?s ?p ?o OPTIONAL { ?s ?q ?r } }"),
            Query("SELECT ?s WHERE { ?s ?p"),
            Query(""),
            .. Enumerable.Range(0, 6).Select(_ => Query("DELETE WHERE { ?s ?p ?o }")),
        ]);

        Assert.All(results, r => Assert.Equal("INVALID_ARGUMENT", r.Code));
        Assert.StartsWith("unsupported SPARQL at 1:28: OPTIONAL is not supported", results[0].Details, StringComparison.Ordinal);
        Assert.StartsWith("invalid SPARQL at 1:24: expected an object", results[1].Details, StringComparison.Ordinal);
        Assert.Equal("the query is empty: set sparql", results[2].Details);
        var health = Assert.Single(await RunAsync(harness.Target, [HealthCheck()]));
        Assert.Equal(true, (bool?)health.Response!["healthy"]);
        Assert.Contains("circuit breaker closed", (string)health.Response["message"]!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SubmitTransaction_EmptyIdempotencyKeyHeader_IsRejected()
    {
        await using var harness = await GatewayHarness.StartAsync();
        var call = Transaction((1, 2, 3));
        call["metadata"] = new JsonArray(new JsonArray("idempotency-key", new string('k', 200)));

        var result = Assert.Single(await RunAsync(harness.Target, [call]));

        Assert.Equal("INVALID_ARGUMENT", result.Code);
        Assert.Contains("longer than 128 characters", result.Details, StringComparison.Ordinal);
    }
}
