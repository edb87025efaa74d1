using System.CommandLine;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Outrigger.Workflows.Cli;

/// <summary>
/// <c>outrigger workflow run|wait|list|show|cancel</c>: a client of a node's HTTP management API (docs/workflows.md).
/// Prints the node's JSON answer. Exit codes: 0 done (a waited workflow completed), 1 refused or failed (the reason on
/// standard error; a waited workflow failed or was cancelled), 3 still running when the wait ran out.
/// </summary>
public static class WorkflowCommands
{
    public const string DefaultNode = "http://127.0.0.1:7001";

    /// <summary>
    /// The CLI's default node. Not <c>OUTRIGGER_*</c>: the host reads every <c>OUTRIGGER_X</c> as a configuration key
    /// <c>x</c>, so such a variable in a sidecar's environment would make <c>outrigger start</c> refuse an unknown key.
    /// </summary>
    public const string NodeVariable = "RAFTORAL_NODE_URL";
    private const int StillRunning = 3;
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>The <c>workflow</c> command with its subcommands; <paramref name="http"/> is for tests (default: a new client).</summary>
    public static Command Create(HttpMessageHandler? http = null)
    {
        var node = new Option<string>("--node", "-n")
        {
            Description = $"A node's management address (default {DefaultNode}; env RAFTORAL_NODE_URL).",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable(NodeVariable) ?? DefaultNode,
            Recursive = true,
        };
        node.Validators.Add(result =>
        {
            var value = result.GetValueOrDefault<string>();
            if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            {
                result.AddError($"--node '{value}' is not an http:// or https:// URL, e.g. {DefaultNode}");
            }
        });
        var command = new Command("workflow", "Start and observe durable workflows through a node's management API.")
        {
            node,
            Run(node, http),
            WaitCommand(node, http),
            List(node, http),
            Show(node, http),
            Cancel(node, http),
        };
        return command;
    }

    private static Command Run(Option<string> node, HttpMessageHandler? http)
    {
        var name = new Argument<string>("name") { Description = "Workflow name, e.g. ping_pong." };
        var version = new Option<uint>("--version", "-v") { Description = "Workflow version (default 1).", DefaultValueFactory = _ => 1 };
        var input = new Option<string>("--input", "-i") { Description = "Input as JSON, e.g. '\"ping\"' or '{\"n\": 3}' (default null).", DefaultValueFactory = _ => "null" };
        var id = new Option<string?>("--id") { Description = "Workflow id; starting the same id again is answered with the existing workflow." };
        var wait = new Option<bool>("--wait", "-w") { Description = "Wait for the result." };
        var timeout = Timeout();
        var command = new Command("run", "Start a workflow (and with --wait, print its result).") { name, version, input, id, wait, timeout };
        command.SetAction(async (parse, token) =>
        {
            JsonNode? inputJson;
            try
            {
                inputJson = JsonNode.Parse(parse.GetValue(input)!);
            }
            catch (JsonException e)
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync($"--input is not valid JSON: {e.Message}").ConfigureAwait(false);
                return 1;
            }

            var body = new JsonObject { ["name"] = parse.GetValue(name), ["version"] = parse.GetValue(version), ["input"] = inputJson };
            if (parse.GetValue(id) is { Length: > 0 } workflowId)
            {
                body["workflow_id"] = workflowId;
            }

            using var client = Client(parse.GetValue(node)!, http);
            var (ok, started) = await SendAsync(parse, client, HttpMethod.Post, "/workflow/execute", body, token, print: !parse.GetValue(wait)).ConfigureAwait(false);
            if (!ok || !parse.GetValue(wait))
            {
                return ok ? 0 : 1;
            }

            var startedId = started!["workflow_id"]!.GetValue<string>();
            return await WaitAsync(parse, client, startedId, parse.GetValue(timeout), token).ConfigureAwait(false);
        });
        return command;
    }

    private static Command WaitCommand(Option<string> node, HttpMessageHandler? http)
    {
        var id = IdArgument();
        var timeout = Timeout();
        var command = new Command("wait", "Wait for a workflow to finish and print its result.") { id, timeout };
        command.SetAction(async (parse, token) =>
        {
            using var client = Client(parse.GetValue(node)!, http);
            return await WaitAsync(parse, client, parse.GetValue(id)!, parse.GetValue(timeout), token).ConfigureAwait(false);
        });
        return command;
    }

    private static Command List(Option<string> node, HttpMessageHandler? http)
    {
        var status = new Option<string?>("--status", "-s") { Description = "Only PENDING, RUNNING, COMPLETED, FAILED or CANCELLED workflows." };
        var limit = new Option<int>("--limit") { Description = "At most this many, newest first (default 100).", DefaultValueFactory = _ => 100 };
        var command = new Command("list", "List workflows, newest first.") { status, limit };
        command.SetAction(async (parse, token) =>
        {
            using var client = Client(parse.GetValue(node)!, http);
            var query = $"/workflows?limit={parse.GetValue(limit).ToString(CultureInfo.InvariantCulture)}";
            if (parse.GetValue(status) is { Length: > 0 } filter)
            {
                query += "&status=" + Uri.EscapeDataString(filter);
            }

            return (await SendAsync(parse, client, HttpMethod.Get, query, null, token).ConfigureAwait(false)).Ok ? 0 : 1;
        });
        return command;
    }

    private static Command Show(Option<string> node, HttpMessageHandler? http)
    {
        var id = IdArgument();
        var command = new Command("show", "Show a workflow: status, owner, epoch, replicas and checkpoint history.") { id };
        command.SetAction(async (parse, token) =>
        {
            using var client = Client(parse.GetValue(node)!, http);
            return (await SendAsync(parse, client, HttpMethod.Get, "/workflows/" + Uri.EscapeDataString(parse.GetValue(id)!), null, token).ConfigureAwait(false)).Ok ? 0 : 1;
        });
        return command;
    }

    private static Command Cancel(Option<string> node, HttpMessageHandler? http)
    {
        var id = IdArgument();
        var reason = new Option<string>("--reason", "-r") { Description = "Why (recorded as the workflow's error).", DefaultValueFactory = _ => "cancelled from the command line" };
        var command = new Command("cancel", "Cancel an unfinished workflow.") { id, reason };
        command.SetAction(async (parse, token) =>
        {
            using var client = Client(parse.GetValue(node)!, http);
            var path = $"/workflows/{Uri.EscapeDataString(parse.GetValue(id)!)}/cancel";
            return (await SendAsync(parse, client, HttpMethod.Post, path, new JsonObject { ["reason"] = parse.GetValue(reason) }, token).ConfigureAwait(false)).Ok ? 0 : 1;
        });
        return command;
    }

    private static async Task<int> WaitAsync(ParseResult parse, HttpClient client, string id, int timeoutSeconds, CancellationToken token)
    {
        var path = $"/workflow/wait?workflow_id={Uri.EscapeDataString(id)}&timeout_seconds={timeoutSeconds.ToString(CultureInfo.InvariantCulture)}";
        var (ok, answer) = await SendAsync(parse, client, HttpMethod.Get, path, null, token, acceptTimeout: true).ConfigureAwait(false);
        return answer?["status"]?.GetValue<string>() switch
        {
            "COMPLETED" => 0,
            "RUNNING" or "PENDING" => StillRunning,
            _ => 1,
        };
    }

    /// <summary>Sends one request; prints the JSON answer (unless <paramref name="print"/> is false) or the error on standard error. Ok is true for 2xx.</summary>
    private static async Task<(bool Ok, JsonObject? Answer)> SendAsync(ParseResult parse, HttpClient client, HttpMethod method, string path, JsonObject? body, CancellationToken token, bool acceptTimeout = false, bool print = true)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, new MediaTypeHeaderValue("application/json"));
        }

        HttpResponseMessage response;
        try
        {
            response = await client.SendAsync(request, token).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            await parse.InvocationConfiguration.Error.WriteLineAsync($"cannot reach the node at {client.BaseAddress}: {e.Message}").ConfigureAwait(false);
            return (false, null);
        }

        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(token).ConfigureAwait(false);
            var answer = TryParse(text);
            var ok = response.IsSuccessStatusCode || (acceptTimeout && (int)response.StatusCode == 408);
            if (!ok)
            {
                var error = answer?["error"]?.GetValue<string>() ?? text.Trim();
                await parse.InvocationConfiguration.Error.WriteLineAsync($"{(int)response.StatusCode} {response.ReasonPhrase}: {error}").ConfigureAwait(false);
                return (false, answer);
            }

            if (print)
            {
                await parse.InvocationConfiguration.Output.WriteLineAsync(answer?.ToJsonString(Indented) ?? text).ConfigureAwait(false);
            }

            return (true, answer);
        }
    }

    private static JsonObject? TryParse(string text)
    {
        try
        {
            return JsonNode.Parse(text) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static HttpClient Client(string node, HttpMessageHandler? handler)
    {
        var client = handler is null ? new HttpClient() : new HttpClient(handler, disposeHandler: false);
        client.BaseAddress = new Uri(node.TrimEnd('/') + "/", UriKind.Absolute);
        client.Timeout = System.Threading.Timeout.InfiniteTimeSpan;
        return client;
    }

    private static Argument<string> IdArgument() => new("id") { Description = "The workflow id." };

    private static Option<int> Timeout() => new("--timeout", "-t")
    {
        Description = "Seconds to wait for the result (1-3600, default 60).",
        DefaultValueFactory = _ => 60,
    };
}
