using System.Collections;
using Microsoft.Extensions.Logging;
using Outrigger.Core.Configuration;
using Outrigger.Proxy.AccessLog;
using Outrigger.Proxy.Clusters;
using Outrigger.Proxy.Configuration;
using Outrigger.Proxy.Forwarding;
using Outrigger.Proxy.Policies;
using Outrigger.Proxy.Reload;
using Outrigger.Proxy.Routing;
using Outrigger.Proxy.Tls;

namespace Outrigger.Proxy;

/// <summary>
/// Hot reload: a valid new configuration becomes the next <see cref="ProxyRuntime"/>, swapped in for new requests; what
/// only the previous generation used is released after the drain delay. An invalid one is logged and changes nothing.
/// </summary>
internal sealed partial class ProxyModule
{
    private readonly Lock _reloadLock = new();
    private readonly List<Task> _retiring = [];
    private readonly CancellationTokenSource _drain = new();
    private ConfigFileWatcher? _watcher;

    /// <summary>
    /// Applies a new text of the configuration file. Returns the problems that kept it from being applied (the same
    /// messages as <c>outrigger validate</c>); empty when it was applied.
    /// </summary>
    internal IReadOnlyList<string> Reload(string text, string origin)
    {
        var options = ProxyConfigLoader.Load(text, origin, ProcessEnvironment(), out var errors);
        if (options is null)
        {
            return Reject(origin, [.. errors.Select(e => e.ToString())]);
        }

        lock (_reloadLock)
        {
            try
            {
                Apply(options);
                return [];
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // Valid keys whose files do not load (a certificate, a key file): the running configuration stays.
                return Reject(origin, [e.Message]);
            }
        }
    }

    private void StartWatching()
    {
        if (_options.HotReload.Enabled && _context.ConfigFile is { } file)
        {
            _watcher = new ConfigFileWatcher(file, _options.HotReload.Interval, _context.TimeProvider, text => Reload(text, file), _logger);
            _watcher.Start();
            Log.Watching(_logger, file, _options.HotReload.Interval.TotalMilliseconds);
        }
    }

    private async Task StopWatchingAsync()
    {
        if (_watcher is not null)
        {
            await _watcher.DisposeAsync().ConfigureAwait(false);
            _watcher = null;
        }
    }

    private List<string> Reject(string origin, List<string> problems)
    {
        var message = string.Join(Environment.NewLine, problems);
        Log.ReloadRejected(_logger, origin, problems.Count, problems.Count == 1 ? "" : "s", message);
        _status.Rejected(message);
        return problems;
    }

    private void Apply(ProxyOptions options)
    {
        var previous = _handler!.Runtime;
        foreach (var key in ConfigChanges.NeedingRestart(previous.Options, options))
        {
            Log.RestartNeeded(_logger, key);
        }

        var tls = _tls is not null && options.Listener.Tls is { } next && next != previous.Options.Listener.Tls
            ? new TlsTermination(next, _options.Listener.Protocols, _context.TimeProvider, _logger)
            : null;
        ProxyRuntime runtime;
        List<RunningCluster> retired;
        List<(ClusterState, ClusterOptions)> adopt;
        try
        {
            runtime = Build(options, previous.Generation + 1, previous, out retired, out adopt);
        }
        catch
        {
            tls?.Dispose();
            throw;
        }

        Adopt(adopt);
        _handler.Runtime = runtime;
        var replacedTls = tls is null ? null : _tls;
        if (tls is not null)
        {
            _tls = tls;
        }

        _status.Applied(runtime.Generation);
        Log.Reloaded(_logger, runtime.Generation, _clusters.Count, runtime.Routes.Routes.Count, retired.Count, adopt.Count);
        var retiring = RetireAsync(previous, runtime, retired, replacedTls);
        lock (_retiring)
        {
            _retiring.RemoveAll(t => t.IsCompleted);
            _retiring.Add(retiring);
        }
    }

    /// <summary>
    /// Builds a generation: clusters whose options are unchanged but for their static endpoints are kept (their endpoint
    /// sets are returned in <paramref name="adopt"/>, applied when the generation is committed), others are created;
    /// <paramref name="retired"/> are those the new configuration no longer uses.
    /// </summary>
    private ProxyRuntime Build(ProxyOptions options, long generation, ProxyRuntime? previous, out List<RunningCluster> retired, out List<(ClusterState, ClusterOptions)> adopt)
    {
        var time = _context.TimeProvider;
        var next = new Dictionary<string, RunningCluster>(StringComparer.Ordinal);
        var created = new List<RunningCluster>();
        adopt = [];
        try
        {
            foreach (var cluster in options.Clusters)
            {
                if (_clusters.TryGetValue(cluster.Name, out var running) && ConfigChanges.SameExceptEndpoints(running.State.Options, cluster))
                {
                    next[cluster.Name] = running;
                    if (!ConfigChanges.SameEndpoints(running.State.Options, cluster))
                    {
                        adopt.Add((running.State, cluster));
                    }
                }
                else
                {
                    var started = new RunningCluster(cluster, CreateDiscovery(cluster), time, _logger);
                    created.Add(started);
                    next[cluster.Name] = started;
                }
            }

            var routes = new RouteTable(options.Routes, next.ToDictionary(c => c.Key, c => c.Value.State, StringComparer.Ordinal));
            var forwarder = new HttpForwarder(options.Forwarding, time, _logger);
            var mtls = options.Listener.Tls?.Termination.ClientCertificates is ClientCertificateMode.Optional or ClientCertificateMode.Require;
            var policies = new RoutePolicies(routes, options.Security, mtls, forwarder, time, _logger);
            var accessLog = !options.AccessLog.Enabled ? null
                : previous?.AccessLog is { } current && current.Options == options.AccessLog ? current
                : new AccessLogWriter(options.AccessLog, time, _logger);
            retired = [.. _clusters.Values.Where(c => !next.ContainsKey(c.State.Name) || next[c.State.Name] != c)];
            _clusters = next;
            return new ProxyRuntime(generation, options, routes, forwarder, policies, accessLog);
        }
        catch
        {
            foreach (var cluster in created)
            {
                _ = cluster.StopAsync();
                cluster.State.Dispose();
            }

            throw;
        }
    }

    private static void Adopt(List<(ClusterState Cluster, ClusterOptions Options)> adopt)
    {
        foreach (var (cluster, options) in adopt)
        {
            cluster.Adopt(options);
        }
    }

    /// <summary>Releases what only <paramref name="previous"/> used, once requests that started on it had time to pick their endpoints.</summary>
    private async Task RetireAsync(ProxyRuntime previous, ProxyRuntime next, List<RunningCluster> retired, TlsTermination? replacedTls)
    {
        foreach (var cluster in retired)
        {
            await cluster.StopAsync().ConfigureAwait(false);
        }

        await Task.Delay(_options.HotReload.DrainDelay, _context.TimeProvider, _drain.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        foreach (var cluster in retired)
        {
            cluster.State.Retire();
        }

        previous.Policies.Dispose();
        if (previous.AccessLog is { } log && log != next.AccessLog)
        {
            await log.DisposeAsync().ConfigureAwait(false);
        }

        replacedTls?.Dispose();
    }

    private async Task RetireAllAsync()
    {
        await _drain.CancelAsync().ConfigureAwait(false);
        Task[] retiring;
        lock (_retiring)
        {
            retiring = [.. _retiring];
        }

        await Task.WhenAll(retiring).ConfigureAwait(false);
        _drain.Dispose();
    }

    private static Dictionary<string, string> ProcessEnvironment()
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            result[(string)entry.Key] = (string?)entry.Value ?? "";
        }

        return result;
    }

    private static partial class Log
    {
        [LoggerMessage(10, LogLevel.Information, "Watching configuration file {File} every {IntervalMs} ms for changes")]
        public static partial void Watching(ILogger logger, string file, double intervalMs);

        [LoggerMessage(11, LogLevel.Information, "Configuration reloaded: generation {Generation}, {Clusters} clusters, {Routes} routes ({Retired} clusters replaced or removed, {Adopted} with new endpoints)")]
        public static partial void Reloaded(ILogger logger, long generation, int clusters, int routes, int retired, int adopted);

        [LoggerMessage(12, LogLevel.Error, "Configuration change in {File} rejected ({Count} problem{Plural}); the running configuration stays:\n{Problems}")]
        public static partial void ReloadRejected(ILogger logger, string file, int count, string plural, string problems);

        [LoggerMessage(13, LogLevel.Warning, "Configuration change of {Key} needs a restart; it is not applied until then")]
        public static partial void RestartNeeded(ILogger logger, string key);
    }
}
