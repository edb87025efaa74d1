using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Outrigger.Coordination;
using Raftoral;

namespace Outrigger.Workflows.Management;

/// <summary>
/// The HTTP management API on the node port (the requests that are not gRPC): <c>POST /workflow/execute</c>,
/// <c>GET /workflow/wait</c>, <c>GET /workflows</c>, <c>GET /workflows/{id}</c>, <c>POST /workflows/{id}/cancel</c>,
/// <c>GET /health</c>. JSON in and out; errors are <c>{"error": "…"}</c> with a fitting status.
/// </summary>
internal sealed class HttpApi(WorkflowDirectory directory, string nodeId)
{
    private const int MaxBodyBytes = 4 << 20;
    private const int DefaultWaitSeconds = 30;
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public async Task HandleAsync(HttpContext context)
    {
        try
        {
            var (status, body) = await RouteAsync(context).ConfigureAwait(false);
            await WriteAsync(context, status, body).ConfigureAwait(false);
        }
        catch (WorkflowApiException e)
        {
            await WriteAsync(context, StatusOf(e.Error), Error(e.Message)).ConfigureAwait(false);
        }
        catch (CoordinationException e) when (e.Error is CoordinationError.Unavailable or CoordinationError.Closed)
        {
            await WriteAsync(context, StatusCodes.Status503ServiceUnavailable, Error("the workflow store is unavailable: " + e.Message)).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
        }
    }

    private Task<(int, JsonObject)> RouteAsync(HttpContext context)
    {
        var request = context.Request;
        var path = request.Path.Value ?? "/";
        var get = HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method);
        var post = HttpMethods.IsPost(request.Method);
        return path switch
        {
            "/workflow/execute" when post => ExecuteAsync(context),
            "/workflow/wait" when get => WaitAsync(context),
            "/workflows" or "/workflows/" when get => ListAsync(context),
            "/health" when get => Task.FromResult((StatusCodes.Status200OK, new JsonObject { ["status"] = "ok", ["node_id"] = nodeId })),
            _ when path.StartsWith("/workflows/", StringComparison.Ordinal) => WorkflowAsync(context, path["/workflows/".Length..], get, post),
            "/workflow/execute" or "/workflow/wait" or "/workflows" or "/health" => Task.FromResult(MethodNotAllowed(request.Method, path)),
            _ => Task.FromResult((StatusCodes.Status404NotFound, Error($"no such endpoint: {request.Method} {path}; see docs/workflows.md"))),
        };
    }

    private Task<(int, JsonObject)> WorkflowAsync(HttpContext context, string rest, bool get, bool post)
    {
        if (rest.EndsWith("/cancel", StringComparison.Ordinal))
        {
            return post ? CancelAsync(context, rest[..^"/cancel".Length]) : Task.FromResult(MethodNotAllowed(context.Request.Method, context.Request.Path));
        }

        return get ? ShowAsync(context, rest) : Task.FromResult(MethodNotAllowed(context.Request.Method, context.Request.Path));
    }

    private async Task<(int, JsonObject)> ExecuteAsync(HttpContext context)
    {
        using var body = await ReadBodyAsync(context).ConfigureAwait(false);
        var root = body.RootElement;
        var name = RequiredString(root, "name");
        var version = Version(root);
        var input = root.TryGetProperty("input", out var inputElement) ? System.Text.Encoding.UTF8.GetBytes(inputElement.GetRawText()) : "null"u8.ToArray();
        var id = root.TryGetProperty("workflow_id", out var idElement) && idElement.ValueKind == JsonValueKind.String ? idElement.GetString() : null;
        var (view, created) = await directory.StartAsync(name, version, input, id, context.RequestAborted).ConfigureAwait(false);
        var answer = Summary(view);
        answer["created"] = created;
        answer["execution_cluster_id"] = "default";
        return (created ? StatusCodes.Status202Accepted : StatusCodes.Status200OK, answer);
    }

    private async Task<(int, JsonObject)> WaitAsync(HttpContext context)
    {
        var query = context.Request.Query;
        var id = query["workflow_id"].ToString();
        if (id.Length == 0)
        {
            throw new WorkflowApiException(ApiError.InvalidArgument, "workflow_id is required: GET /workflow/wait?workflow_id=ID&timeout_seconds=30");
        }

        var seconds = DefaultWaitSeconds;
        var timeoutText = query["timeout_seconds"].ToString();
        if (timeoutText.Length > 0 && (!int.TryParse(timeoutText, NumberStyles.None, CultureInfo.InvariantCulture, out seconds) || seconds is < 1 or > 3600))
        {
            throw new WorkflowApiException(ApiError.InvalidArgument, $"timeout_seconds '{timeoutText}' is not a number of seconds from 1 to 3600");
        }

        var view = await directory.WaitAsync(id, TimeSpan.FromSeconds(seconds), context.RequestAborted).ConfigureAwait(false);
        var answer = Outcome(view);
        if (!view.IsFinished)
        {
            answer["error"] = $"workflow {id} is still {view.Status} after {seconds} s";
            return (StatusCodes.Status408RequestTimeout, answer);
        }

        return (StatusCodes.Status200OK, answer);
    }

    private async Task<(int, JsonObject)> ListAsync(HttpContext context)
    {
        var query = context.Request.Query;
        var status = WorkflowStatus.Unspecified;
        var statusText = query["status"].ToString();
        if (statusText.Length > 0 && !TryParseStatus(statusText, out status))
        {
            throw new WorkflowApiException(ApiError.InvalidArgument, $"status '{statusText}' is not one of PENDING, RUNNING, COMPLETED, FAILED, CANCELLED");
        }

        var limit = 1000;
        var limitText = query["limit"].ToString();
        if (limitText.Length > 0 && (!int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit < 1))
        {
            throw new WorkflowApiException(ApiError.InvalidArgument, $"limit '{limitText}' is not a positive number");
        }

        var views = await directory.ListAsync(status, limit, context.RequestAborted).ConfigureAwait(false);
        var list = new JsonArray();
        foreach (var view in views)
        {
            list.Add((JsonNode)Summary(view));
        }

        return (StatusCodes.Status200OK, new JsonObject { ["workflows"] = list });
    }

    private async Task<(int, JsonObject)> ShowAsync(HttpContext context, string id)
    {
        var view = await directory.GetAsync(Uri.UnescapeDataString(id), withCheckpoints: true, context.RequestAborted).ConfigureAwait(false)
            ?? throw new WorkflowApiException(ApiError.NotFound, $"unknown workflow '{id}': no workflow with this id was started");
        var answer = Outcome(view);
        foreach (var (key, value) in Summary(view).ToList())
        {
            answer[key] ??= value?.DeepClone();
        }

        answer["replicas"] = new JsonArray(view.Meta.Replicas.Select(r => (JsonNode)JsonValue.Create(r)!).ToArray());
        Payloads.Add(answer, "input", view.Meta.Input.Span);
        var checkpoints = new JsonArray();
        foreach (var checkpoint in view.Checkpoints)
        {
            var item = new JsonObject { ["seq"] = checkpoint.Sequence, ["name"] = checkpoint.Name, ["epoch"] = checkpoint.Epoch, ["node"] = checkpoint.Node };
            Payloads.Add(item, "value", checkpoint.Value.Span);
            checkpoints.Add((JsonNode)item);
        }

        answer["checkpoints"] = checkpoints;
        return (StatusCodes.Status200OK, answer);
    }

    private async Task<(int, JsonObject)> CancelAsync(HttpContext context, string id)
    {
        var reason = string.Empty;
        if (context.Request.ContentLength is > 0 || context.Request.Headers.TransferEncoding.Count > 0)
        {
            using var body = await ReadBodyAsync(context).ConfigureAwait(false);
            if (body.RootElement.TryGetProperty("reason", out var element) && element.ValueKind == JsonValueKind.String)
            {
                reason = element.GetString()!;
            }
        }

        var (cancelled, view) = await directory.CancelAsync(Uri.UnescapeDataString(id), reason, context.RequestAborted).ConfigureAwait(false);
        var answer = Outcome(view);
        answer["cancelled"] = cancelled;
        return (StatusCodes.Status200OK, answer);
    }

    private static JsonObject Summary(WorkflowView view)
    {
        var summary = new JsonObject
        {
            ["workflow_id"] = view.Id,
            ["name"] = view.Meta.WorkflowName,
            ["version"] = view.Meta.Version,
            ["status"] = view.Status.ToString().ToUpperInvariant(),
            ["owner"] = view.Owner?.Node,
            ["epoch"] = view.Epoch,
            ["created_at"] = Timestamp(view.Meta.CreatedAtMs),
        };
        if (view.CheckpointCount >= 0)
        {
            summary["checkpoint_count"] = view.CheckpointCount;
        }

        if (view.Result is { } result)
        {
            summary["finished_at"] = Timestamp(result.FinishedAtMs);
        }

        return summary;
    }

    private static string Timestamp(long unixMs) =>
        DateTimeOffset.FromUnixTimeMilliseconds(unixMs).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static JsonObject Outcome(WorkflowView view)
    {
        var answer = new JsonObject
        {
            ["workflow_id"] = view.Id,
            ["status"] = view.Status.ToString().ToUpperInvariant(),
            ["success"] = view.Status == WorkflowStatus.Completed,
        };
        if (view.Result is { } result)
        {
            Payloads.Add(answer, "result", result.Result.Span);
            if (result.Error.Length > 0)
            {
                answer["error"] = result.Error;
            }
        }

        return answer;
    }

    private static async Task<JsonDocument> ReadBodyAsync(HttpContext context)
    {
        if (context.Request.ContentLength > MaxBodyBytes)
        {
            throw new WorkflowApiException(ApiError.TooLarge, $"the request body is {context.Request.ContentLength} bytes, over the {MaxBodyBytes} byte limit");
        }

        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer, context.RequestAborted).ConfigureAwait(false);
        if (buffer.Length > MaxBodyBytes)
        {
            throw new WorkflowApiException(ApiError.TooLarge, $"the request body is over the {MaxBodyBytes} byte limit");
        }

        try
        {
            var document = JsonDocument.Parse(buffer.GetBuffer().AsMemory(0, (int)buffer.Length));
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                document.Dispose();
                throw new WorkflowApiException(ApiError.InvalidArgument, "the request body must be a JSON object");
            }

            return document;
        }
        catch (JsonException e)
        {
            throw new WorkflowApiException(ApiError.InvalidArgument, "the request body is not valid JSON: " + e.Message);
        }
    }

    private static string RequiredString(JsonElement root, string name) =>
        root.TryGetProperty(name, out var element) && element.ValueKind == JsonValueKind.String && element.GetString() is { Length: > 0 } value
            ? value
            : throw new WorkflowApiException(ApiError.InvalidArgument, $"'{name}' is required and must be a non-empty string, e.g. {{\"name\": \"ping_pong\", \"version\": 1, \"input\": \"ping\"}}");

    private static uint Version(JsonElement root)
    {
        if (!root.TryGetProperty("version", out var element))
        {
            return 1;
        }

        return element.ValueKind == JsonValueKind.Number && element.TryGetUInt32(out var version) && version > 0
            ? version
            : throw new WorkflowApiException(ApiError.InvalidArgument, $"'version' must be a whole number of at least 1, not {element.GetRawText()}");
    }

    private static bool TryParseStatus(string text, out WorkflowStatus status)
    {
        status = text.ToUpperInvariant() switch
        {
            "PENDING" => WorkflowStatus.Pending,
            "RUNNING" => WorkflowStatus.Running,
            "COMPLETED" => WorkflowStatus.Completed,
            "FAILED" => WorkflowStatus.Failed,
            "CANCELLED" => WorkflowStatus.Cancelled,
            _ => WorkflowStatus.Unspecified,
        };
        return status != WorkflowStatus.Unspecified;
    }

    private static int StatusOf(ApiError error) => error switch
    {
        ApiError.InvalidArgument => StatusCodes.Status400BadRequest,
        ApiError.NotFound => StatusCodes.Status404NotFound,
        ApiError.AlreadyExists => StatusCodes.Status409Conflict,
        ApiError.NoApp => StatusCodes.Status412PreconditionFailed,
        ApiError.TooLarge => StatusCodes.Status413PayloadTooLarge,
        _ => StatusCodes.Status503ServiceUnavailable,
    };

    private static (int, JsonObject) MethodNotAllowed(string method, string path) =>
        (StatusCodes.Status405MethodNotAllowed, Error($"{method} is not allowed on {path}"));

    private static JsonObject Error(string message) => new() { ["error"] = message };

    private static async Task WriteAsync(HttpContext context, int status, JsonObject body)
    {
        var response = context.Response;
        if (response.HasStarted)
        {
            return;
        }

        response.StatusCode = status;
        response.ContentType = "application/json; charset=utf-8";
        await response.WriteAsync(body.ToJsonString(Indented) + "\n", context.RequestAborted).ConfigureAwait(false);
    }
}
