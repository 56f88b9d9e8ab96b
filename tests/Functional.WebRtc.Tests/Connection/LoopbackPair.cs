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
