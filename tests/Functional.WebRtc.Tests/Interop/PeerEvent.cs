using System.Text.Json;

namespace Functional.WebRtc.Tests.Interop;

/// <summary>
/// One thing a real peer reported. <see cref="Type"/> is one of: "state" (<see cref="Kind"/> = "connection", "ice" or
/// "gathering"; <see cref="State"/> = the new state), "dc-open", "dc-close", "message" (<see cref="Label"/>, and
/// <see cref="Text"/> or <see cref="Base64"/>), "candidate" (local trickle candidate, in <see cref="Text"/>; null Text =
/// end of candidates), "track" (<see cref="Kind"/> = audio/video), "rtp-count", "error", "closed", or a command reply.
/// <see cref="Json"/> is the raw event as the peer sent it.
/// </summary>
public sealed record PeerEvent(
    string Type,
    string? Label = null,
    string? Text = null,
    string? Base64 = null,
    string? State = null,
    string? Kind = null,
    string Json = "")
{
    /// <summary>The binary payload of a "message" event, or null for a text message.</summary>
    public byte[]? Bytes => Base64 is null ? null : Convert.FromBase64String(Base64);

    public bool IsMessage(string label, string text) => Type == "message" && Label == label && Text == text;

    public bool IsBinaryMessage(string label, ReadOnlySpan<byte> data) =>
        Type == "message" && Label == label && Base64 is not null && Convert.FromBase64String(Base64).AsSpan().SequenceEqual(data);

    internal static PeerEvent Parse(string json)
    {
        using var doc = JsonDocument.Parse(json);
        var r = doc.RootElement;
        string? S(string name) =>
            r.TryGetProperty(name, out var v) ? v.ValueKind switch
            {
                JsonValueKind.String => v.GetString(),
                JsonValueKind.Null or JsonValueKind.Undefined => null,
                _ => v.GetRawText(),
            } : null;
        var type = S("type") ?? "?";
        return new PeerEvent(type, S("label"), S("text") ?? (type == "error" ? S("message") : null), S("base64"), S("state"), S("kind"), json);
    }

    public override string ToString() => Json.Length > 300 ? Json[..300] + "..." : Json;
}

/// <summary>An ICE candidate as RTCIceCandidateInit has it.</summary>
public sealed record IceCandidateInit(string Candidate, string? SdpMid, int? SdpMLineIndex);

/// <summary>
/// Thread-safe, append-only log of a peer's events. Waiters scan it from the start (or a mark), so an event that
/// arrived before the wait began is still found.
/// </summary>
public sealed class PeerEventLog
{
    private readonly object _gate = new();
    private readonly List<PeerEvent> _events = new();
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly string _owner;

    public PeerEventLog(string owner) => _owner = owner;

    public void Add(PeerEvent e)
    {
        TaskCompletionSource signal;
        lock (_gate)
        {
            _events.Add(e);
            signal = _changed;
            _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        signal.TrySetResult();
    }

    /// <summary>A snapshot of every event so far.</summary>
    public IReadOnlyList<PeerEvent> Snapshot()
    {
        lock (_gate) return _events.ToArray();
    }

    /// <summary>The number of events so far: pass it as <c>from</c> to wait only for later events.</summary>
    public int Mark()
    {
        lock (_gate) return _events.Count;
    }

    /// <summary>
    /// The first event at index &gt;= <paramref name="from"/> matching <paramref name="predicate"/>; throws
    /// <see cref="TimeoutException"/> (listing the last events) if none arrives within <paramref name="timeout"/>.
    /// </summary>
    public async Task<PeerEvent> WaitForAsync(Func<PeerEvent, bool> predicate, TimeSpan timeout, int from = 0, CancellationToken ct = default)
    {
        var deadline = DateTime.UtcNow + timeout;
        var next = from;
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                for (; next < _events.Count; next++)
                    if (predicate(_events[next])) return _events[next];
                changed = _changed.Task;
            }
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero) throw new TimeoutException($"{_owner}: no matching event within {timeout.TotalSeconds:0.#} s. Last events:\n{Tail(15)}");
            try { await changed.WaitAsync(left, ct).ConfigureAwait(false); }
            catch (TimeoutException) { /* loop once more, then report */ }
        }
    }

    /// <summary>The last <paramref name="n"/> events, one a line (for failure messages).</summary>
    public string Tail(int n = 20)
    {
        lock (_gate) return string.Join("\n", _events.Skip(Math.Max(0, _events.Count - n)).Select(e => "  " + e));
    }
}
