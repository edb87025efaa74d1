using Outrigger.Core.Configuration;

namespace Outrigger.Core.Tests.Configuration;

public sealed class ConfigReaderTests
{
    private sealed record Endpoint(string Address, int Port, int Weight);

    private static (IReadOnlyDictionary<string, IReadOnlyList<Endpoint>> Clusters, ConfigReadSession Session, ConfigOutline Outline) ReadClusters(string yaml)
    {
        var session = new ConfigReadSession();
        var outline = new ConfigOutline();
        var root = session.Root(YamlConfigParser.Parse(yaml, "test.yaml"), outline);
        var clusters = root.Section("proxy", "").Map("clusters", "", (cluster, _) =>
            cluster.List("endpoints", "", e => new Endpoint(
                e.String("address", "127.0.0.1", ""),
                e.Port("port", 80, ""),
                e.Int("weight", 1, "", min: 1, max: 100))));
        session.ReportUnknownKeys();
        return (clusters, session, outline);
    }

    [Fact]
    public void Port_OutOfRange_NamesKeyPathAndPosition()
    {
        var (_, session, _) = ReadClusters("""
            proxy:
              clusters:
                api:
                  endpoints:
                    - address: 10.0.0.1
                      port: 8080
                    - address: 10.0.0.2
                      port: 70000
            """);

        var error = Assert.Single(session.Errors);
        Assert.Equal("proxy.clusters.api.endpoints[1].port: 70000 is not a valid port (1-65535) (test.yaml:8:17)", error.ToString());
    }

    [Fact]
    public void Read_ValidDocument_ReturnsValuesAndDefaults()
    {
        var (clusters, session, _) = ReadClusters("""
            proxy:
              clusters:
                api:
                  endpoints:
                    - {address: 10.0.0.1, port: 8080, weight: 3}
                    - address: 10.0.0.2
            """);

        Assert.Empty(session.Errors);
        Assert.Equal([new Endpoint("10.0.0.1", 8080, 3), new Endpoint("10.0.0.2", 80, 1)], clusters["api"]);
    }

    [Fact]
    public void UnknownKey_IsReportedWithSuggestion()
    {
        var (_, session, _) = ReadClusters("""
            proxy:
              clusters:
                api:
                  endpoints:
                    - address: 10.0.0.1
                      wieght: 2
              routez: {}
            """);

        Assert.Collection(
            session.Errors.Select(e => e.ToString()).Order(StringComparer.Ordinal),
            e => Assert.Equal("proxy.clusters.api.endpoints[0].wieght: unknown key (did you mean 'weight'?) (test.yaml:6:11)", e),
            e => Assert.Equal("proxy.routez: unknown key (test.yaml:7:3)", e));
    }

    [Fact]
    public void WrongTypes_AreReportedTogether()
    {
        var session = new ConfigReadSession();
        var root = session.Root(YamlConfigParser.Parse("a: {x: abc, y: maybe, z: [1], w: 2.5.1, c: purple}\n", "t.yaml"), new ConfigOutline());
        var a = root.Section("a", "");
        a.Int("x", 1, "");
        a.Bool("y", false, "");
        a.String("z", "", "");
        a.Double("w", 1, "");
        a.Choice("c", "red", "", "red", "green");

        Assert.Equal(
            [
                "a.x: 'abc' is not an integer (t.yaml:1:8)",
                "a.y: 'maybe' is not a boolean (true or false) (t.yaml:1:16)",
                "a.z: expected a single value (t.yaml:1:26)",
                "a.w: '2.5.1' is not a number (t.yaml:1:34)",
                "a.c: 'purple' is not one of: red, green (t.yaml:1:44)",
            ],
            session.Errors.Select(e => e.ToString()));
    }

    [Fact]
    public void Parse_SyntaxError_HasLineAndColumn()
    {
        var e = Assert.Throws<ConfigException>(() => YamlConfigParser.Parse("admin:\n  address: [1, 2\n", "bad.yaml"));

        var error = Assert.Single(e.Errors);
        Assert.StartsWith("YAML syntax error:", error.Message, StringComparison.Ordinal);
        Assert.Equal(3, error.Source.Line);
    }

    [Fact]
    public void Parse_DuplicateKey_IsAnError()
    {
        var e = Assert.Throws<ConfigException>(() => YamlConfigParser.Parse("a: 1\na: 2\n", "dup.yaml"));

        var error = Assert.Single(e.Errors);
        Assert.Contains("Duplicate key a", error.Message, StringComparison.Ordinal);
        Assert.Equal(2, error.Source.Line);
    }

    [Fact]
    public void Address_Invalid_ExplainsTheProblem()
    {
        var session = new ConfigReadSession();
        var root = session.Root(YamlConfigParser.Parse("a: 'nohost'\nb: '::1:80'\nc: 'h:99999'\nd: '[::1]:8080'\n", "t"), new ConfigOutline());

        root.Address("a", "x:1", "");
        root.Address("b", "x:1", "");
        root.Address("c", "x:1", "");
        Assert.Equal("[::1]:8080", root.Address("d", "x:1", ""));

        Assert.Equal(
            [
                "a: 'nohost' is not a host:port address: expected host:port (t:1:4)",
                "b: '::1:80' is not a host:port address: IPv6 addresses must be written in brackets, e.g. [::1]:80 (t:2:4)",
                "c: 'h:99999' is not a host:port address: '99999' is not a valid port (0-65535) (t:3:4)",
            ],
            session.Errors.Select(e => e.ToString()));
    }

    [Fact]
    public void Outline_OfEmptyDocument_ShowsCommentedExamplesThatParseBack()
    {
        var (_, _, outline) = ReadClusters("");

        var yaml = ConfigOutlineWriter.ToYaml(outline, "header");

        Assert.Equal(
            "# header\n\nproxy:\n  clusters:\n    # example:\n      # endpoints:\n        # - address: \"127.0.0.1\"\n          # port: 80\n          # weight: 1\n",
            yaml);
        var uncommented = yaml.Replace("# ", "", StringComparison.Ordinal).Replace("header\n", "", StringComparison.Ordinal);
        var (clusters, session, _) = ReadClusters(uncommented);
        Assert.Empty(session.Errors);
        Assert.Equal([new Endpoint("127.0.0.1", 80, 1)], clusters["example"]);
    }
}
