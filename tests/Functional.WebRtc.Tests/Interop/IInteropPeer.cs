namespace Functional.WebRtc.Tests.Interop;

/// <summary>
/// What every real-peer driver (Chromium page, werift process) can do. Descriptions are complete (non-trickle):
/// <see cref="OfferAsync"/> / <see cref="AnswerAsync"/> set the local description, wait for ICE gathering to complete,
/// and return the SDP with its candidates. Every call is bounded in time.
/// </summary>
public interface IInteropPeer : IAsyncDisposable
{
    string Name { get; }
    PeerEventLog Events { get; }

    /// <summary>createOffer + setLocalDescription + wait for gathering; the complete offer SDP.</summary>
    Task<string> OfferAsync();

    /// <summary>createAnswer + setLocalDescription + wait for gathering (after a remote offer was set); the complete answer SDP.</summary>
    Task<string> AnswerAsync();

    Task SetRemoteDescriptionAsync(string type, string sdp);
    Task CreateDataChannelAsync(string label, bool ordered = true, int? maxRetransmits = null);
    Task SendAsync(string label, string text);
    Task SendBinaryAsync(string label, byte[] data);

    /// <summary>When on, every message received on any channel (also channels the remote opened) is sent back on it.</summary>
    Task SetAutoEchoAsync(bool on);

    /// <summary>RTCPeerConnection.connectionState ("new", "connecting", "connected", ...).</summary>
    Task<string> ConnectionStateAsync();

    Task WaitForConnectionStateAsync(string state, TimeSpan timeout);

    Task<PeerEvent> WaitForAsync(Func<PeerEvent, bool> predicate, TimeSpan timeout);
}

public static class InteropPeerExtensions
{
    /// <summary>Offer/answer between two drivers: <paramref name="offerer"/> offers, <paramref name="answerer"/> answers.</summary>
    public static async Task ConnectAsync(this IInteropPeer offerer, IInteropPeer answerer)
    {
        var offer = await offerer.OfferAsync();
        await answerer.SetRemoteDescriptionAsync("offer", offer);
        var answer = await answerer.AnswerAsync();
        await offerer.SetRemoteDescriptionAsync("answer", answer);
    }

    public static Task<PeerEvent> WaitForChannelOpenAsync(this IInteropPeer peer, string label, TimeSpan timeout) =>
        peer.WaitForAsync(e => e.Type == "dc-open" && e.Label == label, timeout);

    public static Task<PeerEvent> WaitForMessageAsync(this IInteropPeer peer, string label, string text, TimeSpan timeout) =>
        peer.WaitForAsync(e => e.IsMessage(label, text), timeout);

    public static Task<PeerEvent> WaitForBinaryMessageAsync(this IInteropPeer peer, string label, byte[] data, TimeSpan timeout) =>
        peer.WaitForAsync(e => e.IsBinaryMessage(label, data), timeout);
}

/// <summary>Where the interop tools are: the repository root (the folder holding Functional.sln), node, Chromium.</summary>
public static class InteropEnvironment
{
    public const string DefaultChromiumPath = "/usr/lib/chromium/chromium";

    /// <summary>The repository root, found by walking up from the test assembly to the folder with Functional.sln.</summary>
    public static string RepoRoot { get; } = FindRepoRoot();

    public static string InteropScriptsDir => Path.Combine(RepoRoot, "tests", "interop");

    public static string ChromiumPath =>
        Environment.GetEnvironmentVariable("INTEROP_CHROMIUM") is { Length: > 0 } p ? p : DefaultChromiumPath;

    /// <summary>The node executable found on PATH, or null.</summary>
    public static string? NodePath { get; } = FindOnPath("node");

    /// <summary>Why Chromium tests cannot run here, or null when they can.</summary>
    public static string? ChromiumMissing =>
        File.Exists(ChromiumPath) ? null : $"Chromium not found at {ChromiumPath} (apt-get install chromium, or set INTEROP_CHROMIUM)";

    /// <summary>Why werift tests cannot run here, or null when they can.</summary>
    public static string? WeriftMissing =>
        NodePath is null ? "node not found on PATH"
        : !Directory.Exists(Path.Combine(InteropScriptsDir, "node_modules", "werift"))
            ? $"werift not installed: run `npm install` in {InteropScriptsDir} (.ci/setup does it)"
            : null;

    private static string FindRepoRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "Functional.sln"))) return d.FullName;
        for (var d = new DirectoryInfo(Directory.GetCurrentDirectory()); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "Functional.sln"))) return d.FullName;
        return Directory.GetCurrentDirectory();
    }

    private static string? FindOnPath(string exe)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var f = Path.Combine(dir, exe);
            if (File.Exists(f)) return f;
        }
        return null;
    }
}

/// <summary>A [Fact] that skips, with the reason, when the real peer it needs is not installed.</summary>
public sealed class InteropFactAttribute : FactAttribute
{
    public InteropFactAttribute(bool chromium = true, bool werift = false)
    {
        var why = new[] { chromium ? InteropEnvironment.ChromiumMissing : null, werift ? InteropEnvironment.WeriftMissing : null }
            .Where(w => w is not null).ToArray();
        if (why.Length > 0) Skip = string.Join("; ", why);
    }
}
