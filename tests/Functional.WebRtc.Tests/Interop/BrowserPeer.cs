using System.Diagnostics;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Playwright;

namespace Functional.WebRtc.Tests.Interop;

/// <summary>Which fake-device tracks the page adds with addTrack (none = a data-channel-only page).</summary>
public enum BrowserMedia { None, Audio, Video, AudioVideo }

public sealed record BrowserOptions
{
    public BrowserMedia Media { get; init; } = BrowserMedia.None;

    /// <summary>Send back every message received on any channel (also channels the remote opened).</summary>
    public bool AutoEcho { get; init; }

    /// <summary>Bound on every call into the page (and on ICE gathering).</summary>
    public TimeSpan CallTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Bound on starting Chromium and loading the page.</summary>
    public TimeSpan LaunchTimeout { get; init; } = TimeSpan.FromSeconds(20);

    public string? ExecutablePath { get; init; }

    /// <summary>A name for failure messages.</summary>
    public string Name { get; init; } = "chromium";

    public IReadOnlyList<string> ExtraArgs { get; init; } = Array.Empty<string>();
}

public sealed record CandidateEndpoint(string Address, int Port, string Protocol, string CandidateType);

public sealed record SelectedCandidatePair(string State, bool Nominated, CandidateEndpoint Local, CandidateEndpoint Remote, long BytesSent, long BytesReceived);

public sealed record InboundRtpStats(string Kind, uint Ssrc, long PacketsReceived, long BytesReceived, long FramesDecoded, string? MimeType);

public sealed record OutboundRtpStats(string Kind, uint Ssrc, long PacketsSent, long BytesSent, long FramesEncoded, string? MimeType);

/// <summary>
/// A headless Debian Chromium (driven by Microsoft.Playwright, never downloading a browser) with one RTCPeerConnection in
/// a page served from http://127.0.0.1/ by page.RouteAsync (a secure context, no server). getUserMedia (fake devices) is
/// granted before the RTCPeerConnection exists, so Chromium gathers a 127.0.0.1 host candidate. Every call is bounded.
/// </summary>
public sealed class BrowserPeer : IInteropPeer
{
    /// <summary>The flags of /work/shared/INTEROP.md, less --user-data-dir (Playwright passes our fresh temp dir itself).</summary>
    /// <summary>
    /// Debian's Chromium launched with the same flags as a BrowserPeer, for tests that drive a page themselves
    /// (Playwright gives it a fresh temporary profile).
    /// </summary>
    public static Task<IBrowser> LaunchBrowserAsync(IPlaywright playwright) =>
        playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = InteropEnvironment.ChromiumPath,
            Headless = true,
            ChromiumSandbox = false,
            Timeout = 30_000,
            Args = ChromiumFlags.ToArray(),
            IgnoreDefaultArgs = new[] { "--disable-features=" + PlaywrightDisabledFeatures },
        });

    public static readonly IReadOnlyList<string> ChromiumFlags = new[]
    {
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--allow-loopback-in-peer-connection",
        "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
        // Chromium keeps only the last --disable-features, so ours is merged with the one Playwright passes by default
        // (which is dropped below through IgnoreDefaultArgs).
        "--disable-features=WebRtcHideLocalIpsWithMdns," + PlaywrightDisabledFeatures,
    };

    // Microsoft.Playwright 1.64.1's default --disable-features value (seen on Chromium's command line). If a later
    // Playwright changes it, IgnoreDefaultArgs stops matching and Chromium simply sees both flags (ours last, so it wins).
    private const string PlaywrightDisabledFeatures =
        "AvoidUnnecessaryBeforeUnloadCheckSync,DestroyProfileOnBrowserClose,DialMediaRouteProvider,GlobalMediaControls,HttpsUpgrades," +
        "LensOverlay,MediaRouter,PaintHolding,ThirdPartyStoragePartitioning,BlockOriginHeaderModificationOnRedirect," +
        "AvoidCorsURLLoaderRestartOnRedirect,Translate,AutoDeElevate,OptimizationHints,NetworkTimeServiceQuerying,AimEnabled," +
        "msForceBrowserSignIn,msEdgeUpdateLaunchServicesPreferredVersion";

    private readonly IPlaywright _playwright;
    private readonly IBrowserContext _context;
    private readonly IPage _page;
    private readonly BrowserOptions _options;
    private readonly Channel<IceCandidateInit> _candidates = Channel.CreateUnbounded<IceCandidateInit>();
    private int _disposed;

    public string Name => _options.Name;
    public PeerEventLog Events { get; }

    /// <summary>The fresh temporary --user-data-dir of this browser (deleted by DisposeAsync).</summary>
    public string UserDataDir { get; }

    /// <summary>Local trickle candidates, in order; completed at end-of-candidates (or on dispose).</summary>
    public ChannelReader<IceCandidateInit> LocalCandidates => _candidates.Reader;

    /// <summary>Time spent in LaunchAsync (browser start + page load + getUserMedia).</summary>
    public TimeSpan LaunchTime { get; private set; }

    /// <summary>After DisposeAsync: the browser processes that were still alive after closing and had to be killed.</summary>
    public IReadOnlyList<int> KilledAfterClose { get; private set; } = Array.Empty<int>();

    private BrowserPeer(IPlaywright playwright, IBrowserContext context, IPage page, BrowserOptions options, string userDataDir, PeerEventLog events)
    {
        _playwright = playwright;
        _context = context;
        _page = page;
        _options = options;
        UserDataDir = userDataDir;
        Events = events;
    }

    public static async Task<BrowserPeer> LaunchAsync(BrowserOptions? o = null)
    {
        o ??= new BrowserOptions();
        var sw = Stopwatch.StartNew();
        var exe = o.ExecutablePath ?? InteropEnvironment.ChromiumPath;
        if (!File.Exists(exe)) throw new FileNotFoundException($"Chromium not found at {exe}", exe);
        var dir = Directory.CreateTempSubdirectory("interop-chromium-").FullName;
        var events = new PeerEventLog(o.Name);
        IPlaywright? pw = null;
        IBrowserContext? ctx = null;
        try
        {
            pw = await Playwright.CreateAsync().WaitAsync(o.LaunchTimeout);
            ctx = await pw.Chromium.LaunchPersistentContextAsync(dir, new BrowserTypeLaunchPersistentContextOptions
            {
                ExecutablePath = exe,
                Headless = true,
                ChromiumSandbox = false,
                Args = ChromiumFlags.Concat(o.ExtraArgs).ToArray(),
                IgnoreDefaultArgs = new[] { "--disable-features=" + PlaywrightDisabledFeatures },
                Timeout = (float)o.LaunchTimeout.TotalMilliseconds,
                Permissions = new[] { "camera", "microphone" },
                Offline = false,
            }).WaitAsync(o.LaunchTimeout);
            var page = ctx.Pages.Count > 0 ? ctx.Pages[0] : await ctx.NewPageAsync().WaitAsync(o.CallTimeout);
            var peer = new BrowserPeer(pw, ctx, page, o, dir, events);
            await page.ExposeFunctionAsync<string>("__emit", peer.OnPageEvent).WaitAsync(o.CallTimeout);
            await page.RouteAsync("http://127.0.0.1/**", route => route.FulfillAsync(new RouteFulfillOptions
            {
                Status = 200,
                ContentType = "text/html; charset=utf-8",
                Body = BrowserPage.Html,
            })).WaitAsync(o.CallTimeout);
            page.Console += (_, m) => { if (m.Type == "error") events.Add(new PeerEvent("console-error", Text: m.Text, Json: JsonSerializer.Serialize(new { type = "console-error", text = m.Text }))); };
            page.PageError += (_, e) => events.Add(new PeerEvent("error", Text: e, Json: JsonSerializer.Serialize(new { type = "error", message = e })));
            await page.GotoAsync(BrowserPage.Url, new PageGotoOptions { Timeout = (float)o.CallTimeout.TotalMilliseconds }).WaitAsync(o.LaunchTimeout);
            await page.EvaluateAsync<bool>("o => window.__peer.start(o)", new
            {
                audio = o.Media is BrowserMedia.Audio or BrowserMedia.AudioVideo,
                video = o.Media is BrowserMedia.Video or BrowserMedia.AudioVideo,
                echo = o.AutoEcho,
            }).WaitAsync(o.CallTimeout);
            peer.LaunchTime = sw.Elapsed;
            return peer;
        }
        catch
        {
            var pids = ProcessesOf(dir);
            try { if (ctx is not null) await ctx.CloseAsync().WaitAsync(TimeSpan.FromSeconds(5)); } catch { /* best effort */ }
            pw?.Dispose();
            await EnsureGoneAsync(pids, TimeSpan.FromSeconds(3));
            TryDelete(dir);
            throw;
        }
    }

    private void OnPageEvent(string json)
    {
        PeerEvent e;
        try { e = PeerEvent.Parse(json); }
        catch (JsonException ex) { e = new PeerEvent("error", Text: ex.Message, Json: json); }
        if (e.Type == "candidate")
        {
            using var doc = JsonDocument.Parse(json);
            var r = doc.RootElement;
            var c = r.TryGetProperty("candidate", out var cv) && cv.ValueKind == JsonValueKind.String ? cv.GetString() : null;
            if (c is null) _candidates.Writer.TryComplete();
            else
            {
                var mid = r.TryGetProperty("sdpMid", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null;
                int? index = r.TryGetProperty("sdpMLineIndex", out var i) && i.ValueKind == JsonValueKind.Number ? i.GetInt32() : null;
                _candidates.Writer.TryWrite(new IceCandidateInit(c, mid, index));
            }
            e = e with { Text = c };
        }
        Events.Add(e);
    }

    private Task<T> Call<T>(string expression, object? arg = null) =>
        _page.EvaluateAsync<T>(expression, arg).WaitAsync(_options.CallTimeout);

    // --- signaling -------------------------------------------------------------------------------------------------

    /// <summary>pc.createOffer(); the SDP (the local description is not set).</summary>
    public Task<string> CreateOfferAsync() => Call<string>("() => window.__peer.createOffer()");

    /// <summary>pc.createAnswer(); the SDP (the local description is not set).</summary>
    public Task<string> CreateAnswerAsync() => Call<string>("() => window.__peer.createAnswer()");

    public Task SetLocalDescriptionAsync(string type, string sdp) => Call<bool>("a => window.__peer.setLocal(a)", new { type, sdp });

    public Task SetRemoteDescriptionAsync(string type, string sdp) => Call<bool>("a => window.__peer.setRemote(a)", new { type, sdp });

    /// <summary>pc.localDescription once ICE gathering has completed (so it carries every candidate).</summary>
    public async Task<(string Type, string Sdp)> LocalDescriptionAsync()
    {
        var json = await _page.EvaluateAsync<string>("t => window.__peer.localDescription(t)", (int)_options.CallTimeout.TotalMilliseconds)
            .WaitAsync(_options.CallTimeout + TimeSpan.FromSeconds(2));
        using var doc = JsonDocument.Parse(json);
        return (doc.RootElement.GetProperty("type").GetString()!, doc.RootElement.GetProperty("sdp").GetString()!);
    }

    public async Task<string> OfferAsync()
    {
        await SetLocalDescriptionAsync("offer", await CreateOfferAsync());
        return (await LocalDescriptionAsync()).Sdp;
    }

    public async Task<string> AnswerAsync()
    {
        await SetLocalDescriptionAsync("answer", await CreateAnswerAsync());
        return (await LocalDescriptionAsync()).Sdp;
    }

    /// <summary>pc.addIceCandidate; a null <paramref name="candidate"/> signals end-of-candidates.</summary>
    public Task AddIceCandidateAsync(string? candidate, string? sdpMid, int? sdpMLineIndex) =>
        Call<bool>("c => window.__peer.addIceCandidate(c)", new { candidate, sdpMid, sdpMLineIndex });

    /// <summary>pc.addTransceiver(kind, {direction}), e.g. ("video", "recvonly") to receive media from the other side.</summary>
    public Task AddTransceiverAsync(string kind, string direction = "recvonly") =>
        Call<bool>("a => window.__peer.addTransceiver(a)", new { kind, direction });

    // --- data channels -----------------------------------------------------------------------------------------------

    public Task CreateDataChannelAsync(string label, bool ordered = true, int? maxRetransmits = null) =>
        Call<bool>("a => window.__peer.createDataChannel(a)", new { label, ordered, maxRetransmits });

    public Task SendAsync(string label, string text) =>
        Call<bool>("a => window.__peer.send(a)", new { label, text, base64 = (string?)null });

    public Task SendBinaryAsync(string label, byte[] data) =>
        Call<bool>("a => window.__peer.send(a)", new { label, text = (string?)null, base64 = Convert.ToBase64String(data) });

    public Task CloseDataChannelAsync(string label) => Call<bool>("l => window.__peer.closeChannel(l)", label);

    public Task SetAutoEchoAsync(bool on) => Call<bool>("on => window.__peer.setEcho(on)", on);

    public Task<PeerEvent> WaitForAsync(Func<PeerEvent, bool> predicate, TimeSpan timeout) => Events.WaitForAsync(predicate, timeout);

    /// <summary>
    /// Escape hatch: evaluates a JavaScript function in the page, e.g.
    /// <c>EvaluateAsync&lt;int&gt;("() =&gt; window.__peer.pc.getTransceivers().length")</c>. The RTCPeerConnection is
    /// <c>window.__peer.pc</c>. Bounded by the call timeout.
    /// </summary>
    public Task<T> EvaluateAsync<T>(string expression, object? arg = null) => Call<T>(expression, arg);

    // --- states ------------------------------------------------------------------------------------------------------

    private async Task<JsonElement> StatesAsync()
    {
        var json = await Call<string>("() => window.__peer.states()");
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.Clone();
    }

    public async Task<string> ConnectionStateAsync() => (await StatesAsync()).GetProperty("connection").GetString()!;

    public async Task<string> IceConnectionStateAsync() => (await StatesAsync()).GetProperty("ice").GetString()!;

    public async Task<string> SignalingStateAsync() => (await StatesAsync()).GetProperty("signaling").GetString()!;

    /// <summary>Waits for connectionState == <paramref name="state"/>; fails early if it becomes "failed" (unless that is awaited).</summary>
    public async Task WaitForConnectionStateAsync(string state, TimeSpan timeout)
    {
        if (await ConnectionStateAsync() == state) return;
        var e = await Events.WaitForAsync(e => e.Type == "state" && e.Kind == "connection" && (e.State == state || e.State is "failed" or "closed"), timeout);
        if (e.State != state && await ConnectionStateAsync() != state)
            throw new InvalidOperationException($"{Name}: connectionState became {e.State} while waiting for {state}. Last events:\n{Events.Tail()}");
    }

    // --- stats -------------------------------------------------------------------------------------------------------

    /// <summary>pc.getStats() as a JSON array of the report's stats objects.</summary>
    public Task<string> GetStatsAsync() => Call<string>("() => window.__peer.stats()");

    private async Task<JsonElement[]> StatsArrayAsync()
    {
        using var doc = JsonDocument.Parse(await GetStatsAsync());
        return doc.RootElement.EnumerateArray().Select(e => e.Clone()).ToArray();
    }

    private static string? Str(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static long Num(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt64() : 0;

    /// <summary>
    /// The selected candidate pair once its state is succeeded, or what it last was after <paramref name="timeout"/>.
    /// Right after "connected" Chromium may report the pair it selected on a nominating request as in-progress, until
    /// the response to its own check for that pair arrives.
    /// </summary>
    public async Task<SelectedCandidatePair?> SucceededCandidatePairAsync(TimeSpan timeout)
    {
        var until = DateTime.UtcNow + timeout;
        while (true)
        {
            var pair = await SelectedCandidatePairAsync();
            if (pair?.State == "succeeded" || DateTime.UtcNow >= until) return pair;
            await Task.Delay(50);
        }
    }

    /// <summary>The transport's selected candidate pair (or the nominated, succeeded one), or null if none yet.</summary>
    public async Task<SelectedCandidatePair?> SelectedCandidatePairAsync()
    {
        var all = await StatsArrayAsync();
        var byId = all.Where(s => Str(s, "id") is not null).GroupBy(s => Str(s, "id")!).ToDictionary(g => g.Key, g => g.First());
        var pairId = all.Where(s => Str(s, "type") == "transport").Select(s => Str(s, "selectedCandidatePairId")).FirstOrDefault(id => id is not null);
        JsonElement? pair = pairId is not null && byId.TryGetValue(pairId, out var p) ? p : null;
        pair ??= all.Where(s => Str(s, "type") == "candidate-pair" && Str(s, "state") == "succeeded"
                                && s.TryGetProperty("nominated", out var n) && n.ValueKind == JsonValueKind.True)
                    .Select(s => (JsonElement?)s).FirstOrDefault();
        if (pair is not { } cp) return null;
        CandidateEndpoint End(string idName) =>
            Str(cp, idName) is { } id && byId.TryGetValue(id, out var c)
                ? new CandidateEndpoint(Str(c, "address") ?? Str(c, "ip") ?? "", (int)Num(c, "port"), Str(c, "protocol") ?? "", Str(c, "candidateType") ?? "")
                : new CandidateEndpoint("", 0, "", "");
        return new SelectedCandidatePair(Str(cp, "state") ?? "", cp.TryGetProperty("nominated", out var nom) && nom.ValueKind == JsonValueKind.True,
            End("localCandidateId"), End("remoteCandidateId"), Num(cp, "bytesSent"), Num(cp, "bytesReceived"));
    }

    private static string? Mime(Dictionary<string, JsonElement> byId, JsonElement s) =>
        Str(s, "codecId") is { } id && byId.TryGetValue(id, out var c) ? Str(c, "mimeType") : null;

    public async Task<IReadOnlyList<InboundRtpStats>> InboundRtpAsync()
    {
        var all = await StatsArrayAsync();
        var byId = all.Where(s => Str(s, "id") is not null).GroupBy(s => Str(s, "id")!).ToDictionary(g => g.Key, g => g.First());
        return all.Where(s => Str(s, "type") == "inbound-rtp")
            .Select(s => new InboundRtpStats(Str(s, "kind") ?? "", (uint)Num(s, "ssrc"), Num(s, "packetsReceived"), Num(s, "bytesReceived"), Num(s, "framesDecoded"), Mime(byId, s)))
            .ToArray();
    }

    public async Task<IReadOnlyList<OutboundRtpStats>> OutboundRtpAsync()
    {
        var all = await StatsArrayAsync();
        var byId = all.Where(s => Str(s, "id") is not null).GroupBy(s => Str(s, "id")!).ToDictionary(g => g.Key, g => g.First());
        return all.Where(s => Str(s, "type") == "outbound-rtp")
            .Select(s => new OutboundRtpStats(Str(s, "kind") ?? "", (uint)Num(s, "ssrc"), Num(s, "packetsSent"), Num(s, "bytesSent"), Num(s, "framesEncoded"), Mime(byId, s)))
            .ToArray();
    }

    // --- processes and disposal --------------------------------------------------------------------------------------

    /// <summary>The PIDs of this browser: processes whose command line names our user-data dir, and their descendants.</summary>
    public IReadOnlyList<int> BrowserProcessIds() => ProcessesOf(UserDataDir).Select(p => p.Pid).ToArray();

    /// <summary>True while any process of this browser is alive (zombies count as gone).</summary>
    public bool IsBrowserRunning() => ProcessesOf(UserDataDir).Count > 0;

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        var pids = ProcessesOf(UserDataDir);
        try { await _page.EvaluateAsync<bool>("() => window.__peer.close()").WaitAsync(TimeSpan.FromSeconds(3)); } catch { /* the page may be gone */ }
        try { await _context.CloseAsync().WaitAsync(TimeSpan.FromSeconds(10)); } catch { /* killed below */ }
        try { _playwright.Dispose(); } catch { /* best effort */ }
        KilledAfterClose = await EnsureGoneAsync(pids, TimeSpan.FromSeconds(5));
        _candidates.Writer.TryComplete();
        TryDelete(UserDataDir);
    }

    private readonly record struct Proc(int Pid, ulong StartTime);

    /// <summary>Waits until every process in <paramref name="pids"/> is gone; kills (by PID) the ones still alive after the wait.</summary>
    private static async Task<IReadOnlyList<int>> EnsureGoneAsync(IReadOnlyList<Proc> pids, TimeSpan wait)
    {
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < wait && pids.Any(Alive)) await Task.Delay(50);
        var left = pids.Where(Alive).ToArray();
        foreach (var p in left)
        {
            try { using var proc = Process.GetProcessById(p.Pid); proc.Kill(); } catch { /* already gone */ }
        }
        var killWait = Stopwatch.StartNew();
        while (killWait.Elapsed < TimeSpan.FromSeconds(3) && left.Any(Alive)) await Task.Delay(50);
        return left.Select(p => p.Pid).ToArray();
    }

    private static bool Alive(Proc p) => Stat(p.Pid) is { } s && s.StartTime == p.StartTime && s.State != 'Z' && s.State != 'X';

    private static (int Ppid, char State, ulong StartTime)? Stat(int pid)
    {
        try
        {
            var text = File.ReadAllText($"/proc/{pid}/stat");
            var rest = text[(text.LastIndexOf(')') + 2)..].Split(' ');
            // After "pid (comm) ": state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime
            // cstime priority nice threads itrealvalue starttime (field 22 of the whole line = index 19 here).
            return (int.Parse(rest[1]), rest[0][0], ulong.Parse(rest[19]));
        }
        catch { return null; }
    }

    private static IReadOnlyList<Proc> ProcessesOf(string userDataDir)
    {
        if (!Directory.Exists("/proc")) return Array.Empty<Proc>();
        var all = new Dictionary<int, (int Ppid, char State, ulong StartTime)>();
        var roots = new List<int>();
        foreach (var d in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(d), out var pid)) continue;
            if (Stat(pid) is not { } s) continue;
            all[pid] = s;
            try
            {
                var cmd = File.ReadAllText(Path.Combine(d, "cmdline"));
                if (cmd.Contains(userDataDir, StringComparison.Ordinal)) roots.Add(pid);
            }
            catch { /* gone */ }
        }
        var result = new HashSet<int>(roots);
        for (var grew = true; grew;)
        {
            grew = false;
            foreach (var (pid, s) in all)
                if (!result.Contains(pid) && result.Contains(s.Ppid)) grew = result.Add(pid) | grew;
        }
        return result.Where(p => all[p].State is not ('Z' or 'X')).Select(p => new Proc(p, all[p].StartTime)).ToArray();
    }

    private static void TryDelete(string dir)
    {
        for (var i = 0; i < 5; i++)
        {
            try { if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true); return; }
            catch (IOException) { Thread.Sleep(100); }
            catch (UnauthorizedAccessException) { Thread.Sleep(100); }
        }
    }
}
