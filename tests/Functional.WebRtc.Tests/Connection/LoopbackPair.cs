using System.Collections.Concurrent;

namespace Functional.WebRtc.Tests.Connection;

/// <summary>Two PeerConnections in this process that negotiate over an in-memory signaling path (127.0.0.1 only).</summary>
public sealed class LoopbackPair : IAsyncDisposable
{
    public PeerConnection Offerer { get; }
    public PeerConnection Answerer { get; }

    public LoopbackPair(SettingEngine? offerer = null, SettingEngine? answerer = null, Configuration? configuration = null)
    {
        Offerer = new PeerConnection(configuration, offerer);
        Answerer = new PeerConnection(configuration, answerer);
    }

    /// <summary>Vanilla ICE: each side waits for gathering to complete and sends its whole description.</summary>
    public async Task NegotiateAsync(TimeSpan? timeout = null)
    {
        var limit = timeout ?? TimeSpan.FromSeconds(10);
        await Offerer.SetLocalDescriptionAsync(await Offerer.CreateOfferAsync());
        await Offerer.GatheringComplete.WaitAsync(limit);
        await Answerer.SetRemoteDescriptionAsync(Offerer.LocalDescription!);
        await Answerer.SetLocalDescriptionAsync(await Answerer.CreateAnswerAsync());
        await Answerer.GatheringComplete.WaitAsync(limit);
        await Offerer.SetRemoteDescriptionAsync(Answerer.LocalDescription!);
    }

    /// <summary>Trickle ICE: descriptions go at once, candidates follow one by one.</summary>
    public async Task NegotiateTrickleAsync()
    {
        Offerer.OnIceCandidate += c => { if (c is not null) _ = AddWhenReady(Answerer, c); };
        Answerer.OnIceCandidate += c => { if (c is not null) _ = AddWhenReady(Offerer, c); };
        var offer = await Offerer.CreateOfferAsync();
        await Offerer.SetLocalDescriptionAsync(offer);
        await Answerer.SetRemoteDescriptionAsync(offer);
        var answer = await Answerer.CreateAnswerAsync();
        await Answerer.SetLocalDescriptionAsync(answer);
        await Offerer.SetRemoteDescriptionAsync(answer);
    }

    private static async Task AddWhenReady(PeerConnection to, IceCandidateInit candidate)
    {
        for (var i = 0; i < 200 && to.RemoteDescription is null; i++) await Task.Delay(10);
        await to.AddIceCandidateAsync(candidate);
    }

    /// <summary>Waits until both sides report Connected (fails fast when either side reports Failed).</summary>
    public Task WaitConnectedAsync(TimeSpan? timeout = null) =>
        WaitForAsync(() =>
            {
                if (Offerer.ConnectionState == PeerConnectionState.Failed || Answerer.ConnectionState == PeerConnectionState.Failed)
                    throw new InvalidOperationException($"connection failed: {Offerer.ConnectionState}/{Answerer.ConnectionState}");
                return Offerer.ConnectionState == PeerConnectionState.Connected && Answerer.ConnectionState == PeerConnectionState.Connected;
            },
            timeout ?? TimeSpan.FromSeconds(10), () => $"connected (offerer {Offerer.ConnectionState}, answerer {Answerer.ConnectionState})");

    /// <summary>Vanilla negotiation, then waits for Connected.</summary>
    public async Task ConnectAsync(TimeSpan? timeout = null)
    {
        await NegotiateAsync(timeout);
        await WaitConnectedAsync(timeout);
    }

    private readonly ConcurrentDictionary<(bool Offerer, string Label), TaskCompletionSource<DataChannel>> _incoming = new();
    private bool _watching;

    /// <summary>The channel the peer of <paramref name="side"/> opened with this label (OnDataChannel on <paramref name="side"/>).</summary>
    public Task<DataChannel> IncomingAsync(PeerConnection side, string label)
    {
        WatchIncoming();
        return Incoming(side == Offerer, label).Task.WaitAsync(TimeSpan.FromSeconds(10));
    }

    private TaskCompletionSource<DataChannel> Incoming(bool offerer, string label) =>
        _incoming.GetOrAdd((offerer, label), _ => new TaskCompletionSource<DataChannel>(TaskCreationOptions.RunContinuationsAsynchronously));

    /// <summary>Starts recording OnDataChannel on both sides (call before negotiating when channels are created early).</summary>
    public void WatchIncoming()
    {
        lock (_incoming)
        {
            if (_watching) return;
            _watching = true;
        }
        Offerer.OnDataChannel += c => Incoming(true, c.Label).TrySetResult(c);
        Answerer.OnDataChannel += c => Incoming(false, c.Label).TrySetResult(c);
    }

    /// <summary>Creates a channel on <paramref name="from"/> and returns it with the peer's end, both open.</summary>
    public async Task<(DataChannel Local, DataChannel Remote)> OpenChannelAsync(string label, PeerConnection? from = null, DataChannelInit? init = null)
    {
        from ??= Offerer;
        WatchIncoming();
        var local = from.CreateDataChannel(label, init);
        var remote = await IncomingAsync(from == Offerer ? Answerer : Offerer, label);
        await WaitForAsync(() => local.ReadyState == DataChannelReadyState.Open &&
                                 remote.ReadyState == DataChannelReadyState.Open,
            TimeSpan.FromSeconds(10), $"{label} open on both sides");
        return (local, remote);
    }

    /// <summary>Makes a channel send every message back as it came (text as text, binary as binary).</summary>
    public static void Echo(DataChannel channel) =>
        channel.OnMessage += m => { if (m.IsString) channel.Send(m.Text); else channel.Send(m.Data); };

    public static Task WaitForAsync(Func<bool> condition, TimeSpan timeout, string what) => WaitForAsync(condition, timeout, () => what);

    public static async Task WaitForAsync(Func<bool> condition, TimeSpan timeout, Func<string> what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"timed out waiting for {what()}");
            await Task.Delay(10);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Offerer.CloseAsync();
        await Answerer.CloseAsync();
    }
}

/// <summary>Collects a channel's messages for assertions.</summary>
public sealed class Inbox
{
    public BlockingCollection<DataChannelMessage> Messages { get; } = new();
    public Inbox(DataChannel channel) => channel.OnMessage += Messages.Add;
    public DataChannelMessage Take(int ms = 10000) =>
        Messages.TryTake(out var m, ms) ? m : throw new TimeoutException("no message");
}
