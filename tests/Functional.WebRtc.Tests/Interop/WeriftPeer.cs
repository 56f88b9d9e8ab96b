using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace Functional.WebRtc.Tests.Interop;

public sealed record WeriftOptions
{
    /// <summary>Send back every message received on any channel (also channels the remote opened).</summary>
    public bool AutoEcho { get; init; }

    /// <summary>Bound on every command (and on ICE gathering).</summary>
    public TimeSpan CallTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The node process exits by itself after this long, whatever happens.</summary>
    public TimeSpan Lifetime { get; init; } = TimeSpan.FromMinutes(3);

    public string Name { get; init; } = "werift";
}

/// <summary>
/// A werift 0.24.4 RTCPeerConnection in a node process (tests/interop/werift-peer.mjs), driven by JSON lines on
/// stdin/stdout. It gathers on 127.0.0.1 (udp4) only. Every call is bounded in time.
/// </summary>
public sealed class WeriftPeer : IInteropPeer
{
    private readonly Process _process;
    private readonly WeriftOptions _options;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly StringBuilder _stderr = new();
    private readonly Task _reader;
    private int _disposed;

    public string Name => _options.Name;
    public PeerEventLog Events { get; }
    public int ProcessId { get; }
    public TimeSpan LaunchTime { get; private set; }

    /// <summary>The last 4 KB of the node process's stderr (for failure messages).</summary>
    public string StandardError
    {
        get { lock (_stderr) return _stderr.ToString(); }
    }

    private WeriftPeer(Process process, WeriftOptions options)
    {
        _process = process;
        _options = options;
        ProcessId = process.Id;
        Events = new PeerEventLog(options.Name);
        _reader = Task.Run(ReadLoopAsync);
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (_stderr)
            {
                _stderr.AppendLine(e.Data);
                if (_stderr.Length > 4096) _stderr.Remove(0, _stderr.Length - 4096);
            }
        };
        process.BeginErrorReadLine();
    }

    public static Task<WeriftPeer> LaunchAsync(WeriftOptions? o = null)
    {
        o ??= new WeriftOptions();
        var sw = Stopwatch.StartNew();
        if (InteropEnvironment.WeriftMissing is { } why) throw new InvalidOperationException(why);
        var psi = new ProcessStartInfo(InteropEnvironment.NodePath!)
        {
            WorkingDirectory = InteropEnvironment.InteropScriptsDir,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
        };
        psi.ArgumentList.Add("werift-peer.mjs");
        if (o.AutoEcho) psi.ArgumentList.Add("--echo");
        psi.Environment["WERIFT_PEER_LIFETIME_MS"] = ((long)o.Lifetime.TotalMilliseconds).ToString();
        var process = Process.Start(psi) ?? throw new InvalidOperationException("could not start node");
        var peer = new WeriftPeer(process, o) { LaunchTime = sw.Elapsed };
        return Task.FromResult(peer);
    }

    private async Task ReadLoopAsync()
    {
        try
        {
            while (await _process.StandardOutput.ReadLineAsync() is { } line)
            {
                if (line.Length == 0) continue;
                PeerEvent e;
                try { e = PeerEvent.Parse(line); }
                catch (JsonException) { e = new PeerEvent("stdout", Text: line, Json: JsonSerializer.Serialize(new { type = "stdout", text = line })); }
                Events.Add(e);
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException) { }
        Events.Add(new PeerEvent("exit", Json: "{\"type\":\"exit\"}"));
    }

    private async Task SendCommandAsync(object command)
    {
        var line = JsonSerializer.Serialize(command);
        await _writeLock.WaitAsync(_options.CallTimeout);
        try
        {
            await _process.StandardInput.WriteLineAsync(line).WaitAsync(_options.CallTimeout);
            await _process.StandardInput.FlushAsync().WaitAsync(_options.CallTimeout);
        }
        finally { _writeLock.Release(); }
    }

    /// <summary>Sends a command and waits for its reply event (or an error/exit after it).</summary>
    private async Task<PeerEvent> RequestAsync(object command, string replyType, TimeSpan? timeout = null)
    {
        var mark = Events.Mark();
        await SendCommandAsync(command);
        var e = await Events.WaitForAsync(e => e.Type == replyType || e.Type is "error" or "exit", timeout ?? _options.CallTimeout, mark);
        if (e.Type != replyType)
            throw new InvalidOperationException($"{Name}: {e.Type} while waiting for {replyType}: {e.Text}\nstderr:\n{StandardError}");
        return e;
    }

    private static string SdpOf(PeerEvent e)
    {
        using var doc = JsonDocument.Parse(e.Json);
        return doc.RootElement.GetProperty("sdp").GetString()!;
    }

    // --- signaling (non-trickle: werift prints its description after ICE gathering completes) --------------------------

    public async Task<string> OfferAsync() => SdpOf(await RequestAsync(new { cmd = "offer" }, "offer", _options.CallTimeout + TimeSpan.FromSeconds(2)));

    public async Task<string> AnswerAsync() => SdpOf(await RequestAsync(new { cmd = "answer" }, "answer", _options.CallTimeout + TimeSpan.FromSeconds(2)));

    public Task SetRemoteDescriptionAsync(string type, string sdp) => RequestAsync(new { cmd = "set-remote", type, sdp }, "remote-set");

    /// <summary>pc.addTransceiver(kind, {direction}); received RTP is counted (see <see cref="RtpPacketsReceivedAsync"/>).</summary>
    public Task AddTransceiverAsync(string kind, string direction = "recvonly") =>
        RequestAsync(new { cmd = "add-transceiver", kind, direction }, "transceiver-added");

    // --- data channels -----------------------------------------------------------------------------------------------

    public Task CreateDataChannelAsync(string label, bool ordered = true, int? maxRetransmits = null) =>
        RequestAsync(new { cmd = "create-dc", label, ordered, maxRetransmits }, "dc-created");

    public Task SendAsync(string label, string text) => RequestAsync(new { cmd = "send", label, text }, "sent");

    public Task SendBinaryAsync(string label, byte[] data) =>
        RequestAsync(new { cmd = "send", label, base64 = Convert.ToBase64String(data) }, "sent");

    public Task SetAutoEchoAsync(bool on) => RequestAsync(new { cmd = "echo", on }, "echo");

    public Task<PeerEvent> WaitForAsync(Func<PeerEvent, bool> predicate, TimeSpan timeout) => Events.WaitForAsync(predicate, timeout);

    // --- states and stats --------------------------------------------------------------------------------------------

    private async Task<JsonElement> StatsAsync()
    {
        var e = await RequestAsync(new { cmd = "stats" }, "stats");
        using var doc = JsonDocument.Parse(e.Json);
        return doc.RootElement.Clone();
    }

    public async Task<string> ConnectionStateAsync() => (await StatsAsync()).GetProperty("connection").GetString()!;

    public async Task<string> IceConnectionStateAsync() => (await StatsAsync()).GetProperty("ice").GetString()!;

    /// <summary>RTP packets werift received so far, per kind.</summary>
    public async Task<(long Audio, long Video)> RtpPacketsReceivedAsync()
    {
        var rtp = (await StatsAsync()).GetProperty("rtp");
        return (rtp.GetProperty("audio").GetInt64(), rtp.GetProperty("video").GetInt64());
    }

    public async Task WaitForConnectionStateAsync(string state, TimeSpan timeout)
    {
        if (await ConnectionStateAsync() == state) return;
        var e = await Events.WaitForAsync(e => e.Type == "state" && e.Kind == "connection" && (e.State == state || e.State is "failed" or "closed"), timeout);
        if (e.State != state && await ConnectionStateAsync() != state)
            throw new InvalidOperationException($"{Name}: connectionState became {e.State} while waiting for {state}. Last events:\n{Events.Tail()}");
    }

    // --- disposal ----------------------------------------------------------------------------------------------------

    /// <summary>True while the node process runs.</summary>
    public bool IsRunning
    {
        get { try { return !_process.HasExited; } catch (InvalidOperationException) { return false; } }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        try
        {
            if (IsRunning)
            {
                try { await SendCommandAsync(new { cmd = "close" }); } catch { /* it may be gone */ }
                try { _process.StandardInput.Close(); } catch { /* it may be gone */ }
                try { await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(3)); } catch (TimeoutException) { }
            }
            if (IsRunning)
            {
                _process.Kill(entireProcessTree: true);
                try { await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(3)); } catch (TimeoutException) { }
            }
            try { await _reader.WaitAsync(TimeSpan.FromSeconds(2)); } catch { /* bounded */ }
        }
        finally
        {
            _process.Dispose();
            _writeLock.Dispose();
        }
    }
}
