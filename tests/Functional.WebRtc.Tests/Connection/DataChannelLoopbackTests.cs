using System.Collections.Concurrent;
using Functional.WebRtc.Core.DataChannels;

namespace Functional.WebRtc.Tests.Connection;

/// <summary>Data channels between two PeerConnections on 127.0.0.1.</summary>
public class DataChannelLoopbackTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(10);

    [Fact(Timeout = 20_000)]
    public async Task TwentyChannelsAtOnceEachEcho()
    {
        await using var pair = new LoopbackPair();
        await IceLoopbackTests.ConnectWithChannel(pair, "first");
        var labels = Enumerable.Range(0, 20).Select(i => $"ch{i}").ToList();
        var locals = labels.Select(l => pair.Offerer.CreateDataChannel(l)).ToList();
        var remotes = await Task.WhenAll(labels.Select(l => pair.IncomingAsync(pair.Answerer, l)));
        foreach (var r in remotes) LoopbackPair.Echo(r);
        await LoopbackPair.WaitForAsync(() => locals.All(c => c.ReadyState == DataChannelReadyState.Open), Limit, "20 channels open");
        Assert.Equal(20, locals.Select(c => c.Id).Distinct().Count());
        var inboxes = locals.Select(c => new Inbox(c)).ToList();
        for (var round = 0; round < 3; round++)
            for (var i = 0; i < 20; i++) locals[i].Send($"{labels[i]} round {round}");
        for (var i = 0; i < 20; i++)
            for (var round = 0; round < 3; round++)
                Assert.Equal($"{labels[i]} round {round}", inboxes[i].Take().Text);
        Assert.All(inboxes, b => Assert.Empty(b.Messages));
    }

    [Fact(Timeout = 20_000)]
    public async Task MessagesFromOneByteTo256KiBEchoIntact()
    {
        await using var pair = new LoopbackPair();
        var (local, remote) = await IceLoopbackTests.ConnectWithChannel(pair);
        LoopbackPair.Echo(remote);
        var back = new Inbox(local);
        var random = new Random(1234);
        int[] sizes = [1, 2, 100, 1199, 1200, 1201, 4096, 16 * 1024, 65535, 65536, 65537, 100_000, 128 * 1024, 256 * 1024];
        foreach (var size in sizes)
        {
            var data = new byte[size];
            random.NextBytes(data);
            local.Send(data);
            var reply = back.Take();
            Assert.False(reply.IsString);
            Assert.Equal(size, reply.Data.Length);
            Assert.True(data.AsSpan().SequenceEqual(reply.Data), $"{size} bytes came back changed");
        }
        // Text as large as the peer allows, too.
        var text = new string('x', 256 * 1024);
        local.Send(text);
        var echoed = back.Take();
        Assert.True(echoed.IsString);
        Assert.Equal(text, echoed.Text);
    }

    [Fact(Timeout = 20_000)]
    public async Task EmptyMessagesArriveEmptyWithTheirKind()
    {
        await using var pair = new LoopbackPair();
        var (local, remote) = await IceLoopbackTests.ConnectWithChannel(pair);
        var inbox = new Inbox(remote);
        local.Send(Array.Empty<byte>());
        local.Send("");
        local.Send(ReadOnlySpan<byte>.Empty);
        local.Send("after");
        var binary = inbox.Take();
        Assert.False(binary.IsString);
        Assert.Empty(binary.Data);
        var text = inbox.Take();
        Assert.True(text.IsString);
        Assert.Equal("", text.Text);
        Assert.Empty(inbox.Take().Data);
        Assert.Equal("after", inbox.Take().Text);
    }

    [Fact(Timeout = 20_000)]
    public async Task NegotiatedChannelsTalkWithoutDcep()
    {
        await using var pair = new LoopbackPair();
        var announced = new ConcurrentQueue<DataChannel>();
        pair.Offerer.OnDataChannel += announced.Enqueue;
        pair.Answerer.OnDataChannel += announced.Enqueue;
        var init = new DataChannelInit { Negotiated = true, Id = 5 };
        var a = pair.Offerer.CreateDataChannel("agreed", init);
        var b = pair.Answerer.CreateDataChannel("agreed", init);
        Assert.True(a.Negotiated);
        Assert.Equal((ushort?)5, a.Id);
        await pair.ConnectAsync();
        await LoopbackPair.WaitForAsync(() => a.ReadyState == DataChannelReadyState.Open && b.ReadyState == DataChannelReadyState.Open,
            Limit, "both negotiated ends open");
        var atB = new Inbox(b);
        var atA = new Inbox(a);
        a.Send("from a");
        b.Send(new byte[] { 9, 8, 7 });
        Assert.Equal("from a", atB.Take().Text);
        Assert.Equal(new byte[] { 9, 8, 7 }, atA.Take().Data);
        Assert.Equal((ushort?)5, b.Id);
        // No DATA_CHANNEL_OPEN went either way: neither side announced a channel.
        await Task.Delay(200);
        Assert.Empty(announced);
    }

    [Theory(Timeout = 20_000)]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ClosingFromEitherSideClosesTheOther(bool offererCloses)
    {
        await using var pair = new LoopbackPair();
        var (local, remote) = await IceLoopbackTests.ConnectWithChannel(pair);
        var (closer, other) = offererCloses ? (local, remote) : (remote, local);
        var closerClosed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var otherClosed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        closer.OnClose += () => closerClosed.TrySetResult();
        other.OnClose += () => otherClosed.TrySetResult();
        closer.Close();
        Assert.NotEqual(DataChannelReadyState.Open, closer.ReadyState);
        await otherClosed.Task.WaitAsync(Limit);
        await closerClosed.Task.WaitAsync(Limit);
        Assert.Equal(DataChannelReadyState.Closed, other.ReadyState);
        Assert.Equal(DataChannelReadyState.Closed, closer.ReadyState);
        Assert.Throws<InvalidStateException>(() => other.Send("too late"));
        Assert.Throws<InvalidStateException>(() => closer.Send("too late"));
        // The connection stays up and a new channel works.
        var (again, theirs) = await pair.OpenChannelAsync("again");
        var inbox = new Inbox(theirs);
        again.Send("still here");
        Assert.Equal("still here", inbox.Take().Text);
        Assert.Equal(PeerConnectionState.Connected, pair.Offerer.ConnectionState);
    }

    [Fact(Timeout = 20_000)]
    public async Task OnBufferedAmountLowFiresWhenTheThresholdIsCrossed()
    {
        await using var pair = new LoopbackPair();
        var (local, remote) = await IceLoopbackTests.ConnectWithChannel(pair);
        var received = 0L;
        remote.OnMessage += m => Interlocked.Add(ref received, m.Data.Length);
        const long threshold = 64 * 1024;
        local.BufferedAmountLowThreshold = threshold;
        var lows = 0;
        var observed = new ConcurrentQueue<long>();
        var low = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        local.OnBufferedAmountLow += () =>
        {
            Interlocked.Increment(ref lows);
            observed.Enqueue(local.BufferedAmount);
            low.TrySetResult();
        };
        await LoopbackPair.WaitForAsync(() => local.BufferedAmountLowThreshold == threshold, Limit, "the threshold set");
        Assert.Equal(0, local.BufferedAmount);
        Assert.Equal(0, Volatile.Read(ref lows));
        const int messages = 16;
        var message = new byte[64 * 1024];
        for (var i = 0; i < messages; i++) local.Send(message);
        Assert.True(local.BufferedAmount > threshold, $"buffered {local.BufferedAmount} right after sending");
        await low.Task.WaitAsync(Limit);
        Assert.True(observed.TryPeek(out var atEvent) && atEvent <= threshold, $"buffered {atEvent} when the event fired");
        await LoopbackPair.WaitForAsync(() => Interlocked.Read(ref received) == messages * message.Length, Limit, "everything received");
        await LoopbackPair.WaitForAsync(() => local.BufferedAmount == 0, Limit, "the buffer drained");
        Assert.True(Volatile.Read(ref lows) >= 1);
        Assert.All(observed, b => Assert.True(b <= threshold, $"buffered {b} when an event fired"));
    }

    [Fact(Timeout = 20_000)]
    public async Task WithTheDefaultThresholdOfZeroOnBufferedAmountLowFiresOnceDrained()
    {
        await using var pair = new LoopbackPair();
        var (local, _) = await IceLoopbackTests.ConnectWithChannel(pair);
        Assert.Equal(0, local.BufferedAmountLowThreshold);
        var low = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        local.OnBufferedAmountLow += () => low.TrySetResult(local.BufferedAmount);
        local.Send(new byte[200_000]);
        Assert.Equal(0, await low.Task.WaitAsync(Limit));
    }

    [Fact(Timeout = 20_000)]
    public async Task OnBufferedAmountLowFiresForSmallMessagesQueuedAboveALargeThreshold()
    {
        // The usual flow control: send until BufferedAmount passes a high mark, then wait for the low event. Messages are
        // small enough to leave at once, so only the sends still on their way to the connection's loop are buffered.
        await using var pair = new LoopbackPair();
        var (local, remote) = await IceLoopbackTests.ConnectWithChannel(pair);
        var received = 0;
        remote.OnMessage += _ => Interlocked.Increment(ref received);
        const long threshold = 16 * 1024;
        local.BufferedAmountLowThreshold = threshold;
        await LoopbackPair.WaitForAsync(() => local.BufferedAmountLowThreshold == threshold, Limit, "the threshold set");
        var low = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        local.OnBufferedAmountLow += () => low.TrySetResult(local.BufferedAmount);
        var sent = 0;
        while (local.BufferedAmount <= 2 * threshold && sent < 100_000) { local.Send(new byte[100]); sent++; }
        Assert.True(local.BufferedAmount > threshold, $"buffered {local.BufferedAmount} after {sent} sends");
        // The event must come (an application waiting for it to resume sending would otherwise hang). What the handler
        // reads is not asserted: the sending loop may still be queueing when the callback runs.
        await low.Task.WaitAsync(Limit);
        await LoopbackPair.WaitForAsync(() => Volatile.Read(ref received) == sent, Limit, "every message received");
    }

    [Fact(Timeout = 20_000)]
    public async Task ChannelOptionsReachThePeerThroughDcep()
    {
        await using var pair = new LoopbackPair();
        await IceLoopbackTests.ConnectWithChannel(pair, "first");
        var (unordered, theirs) = await pair.OpenChannelAsync("lossy",
            init: new DataChannelInit { Ordered = false, MaxRetransmits = 0, Protocol = "chat-v1" });
        var (timed, theirsTimed) = await pair.OpenChannelAsync("timed", pair.Answerer,
            new DataChannelInit { MaxPacketLifeTime = 500 });
        Assert.Equal("lossy", theirs.Label);
        Assert.Equal("chat-v1", theirs.Protocol);
        Assert.False(theirs.Ordered);
        Assert.Equal(0, theirs.MaxRetransmits);
        Assert.Null(theirs.MaxPacketLifeTime);
        Assert.False(theirs.Negotiated);
        Assert.Equal(unordered.Id, theirs.Id);
        Assert.Equal(500, theirsTimed.MaxPacketLifeTime);
        Assert.True(theirsTimed.Ordered);
        Assert.Equal(timed.Id, theirsTimed.Id);
        // On loopback nothing is lost: every message arrives (in any order on the unordered channel).
        var inbox = new Inbox(theirs);
        for (var i = 0; i < 50; i++) unordered.Send($"m{i}");
        var got = Enumerable.Range(0, 50).Select(_ => inbox.Take().Text).Order().ToList();
        Assert.Equal(Enumerable.Range(0, 50).Select(i => $"m{i}").Order().ToList(), got);
        var back = new Inbox(theirsTimed);
        timed.Send("within its lifetime");
        Assert.Equal("within its lifetime", back.Take().Text);
    }

    [Fact]
    public void InvalidChannelOptionsThrowTypeError()
    {
        using var pc = new PeerConnection();
        Assert.Throws<RtcTypeException>(() => pc.CreateDataChannel("x", new DataChannelInit { MaxPacketLifeTime = 1, MaxRetransmits = 1 }));
        Assert.Throws<RtcTypeException>(() => pc.CreateDataChannel("x", new DataChannelInit { Negotiated = true }));
    }

    [Fact(Timeout = 20_000)]
    public async Task SendingMoreThanThePeersMaxMessageSizeThrowsAndSendsNothing()
    {
        await using var pair = new LoopbackPair();
        pair.WatchIncoming();
        var local = pair.Offerer.CreateDataChannel("limited");
        // The answer says the answerer takes at most 1000 bytes per message.
        await pair.Offerer.SetLocalDescriptionAsync(await pair.Offerer.CreateOfferAsync());
        await pair.Offerer.GatheringComplete.WaitAsync(Limit);
        await pair.Answerer.SetRemoteDescriptionAsync(pair.Offerer.LocalDescription!);
        await pair.Answerer.SetLocalDescriptionAsync(await pair.Answerer.CreateAnswerAsync());
        await pair.Answerer.GatheringComplete.WaitAsync(Limit);
        var answer = pair.Answerer.LocalDescription!;
        Assert.Contains("a=max-message-size:262144", answer.Sdp);
        await pair.Offerer.SetRemoteDescriptionAsync(answer with { Sdp = answer.Sdp.Replace("a=max-message-size:262144", "a=max-message-size:1000") });
        await pair.WaitConnectedAsync();
        var remote = await pair.IncomingAsync(pair.Answerer, "limited");
        await LoopbackPair.WaitForAsync(() => local.ReadyState == DataChannelReadyState.Open, Limit, "open");
        var inbox = new Inbox(remote);

        var e = Assert.Throws<RtcTypeException>(() => local.Send(new byte[1001]));
        Assert.Equal("TypeError", e.Name);
        Assert.Throws<RtcTypeException>(() => local.Send(new string('y', 1001)));
        Assert.Equal(0, local.BufferedAmount);
        local.Send(new byte[1000]);
        var first = inbox.Take();
        Assert.Equal(1000, first.Data.Length);
        await Task.Delay(200);
        Assert.Empty(inbox.Messages);
        Assert.Equal(DataChannelReadyState.Open, local.ReadyState);
    }

    [Fact(Timeout = 20_000)]
    public async Task TheDefaultMaxMessageSizeIs256KiB()
    {
        await using var pair = new LoopbackPair();
        var (local, remote) = await IceLoopbackTests.ConnectWithChannel(pair);
        var inbox = new Inbox(remote);
        Assert.Throws<RtcTypeException>(() => local.Send(new byte[256 * 1024 + 1]));
        local.Send(new byte[256 * 1024]);
        Assert.Equal(256 * 1024, inbox.Take().Data.Length);
        await Task.Delay(200);
        Assert.Empty(inbox.Messages);
    }

    [Fact(Timeout = 20_000)]
    public async Task ChannelsCreatedBeforeConnectingOpenOnceConnected()
    {
        await using var pair = new LoopbackPair();
        pair.WatchIncoming();
        var early = new[] { "a", "b", "c" }.Select(l => pair.Offerer.CreateDataChannel(l)).ToList();
        var answererEarly = pair.Answerer.CreateDataChannel("from-answerer");
        Assert.All(early, c => Assert.Equal(DataChannelReadyState.Connecting, c.ReadyState));
        Assert.Throws<InvalidStateException>(() => early[0].Send("not yet"));
        var opened = new ConcurrentQueue<string>();
        foreach (var c in early) c.OnOpen += () => opened.Enqueue(c.Label);
        await pair.ConnectAsync();
        await LoopbackPair.WaitForAsync(() => early.All(c => c.ReadyState == DataChannelReadyState.Open), Limit, "early channels open");
        await LoopbackPair.WaitForAsync(() => opened.Count == 3, Limit, "three OnOpen events");
        Assert.Equal(["a", "b", "c"], opened.Order().ToArray());
        foreach (var c in early)
        {
            var theirs = await pair.IncomingAsync(pair.Answerer, c.Label);
            var inbox = new Inbox(theirs);
            c.Send($"hello {c.Label}");
            Assert.Equal($"hello {c.Label}", inbox.Take().Text);
        }
        // The answerer created one before connecting too (its description had no data section, the offer had one).
        var fromAnswerer = await pair.IncomingAsync(pair.Offerer, "from-answerer");
        await LoopbackPair.WaitForAsync(() => answererEarly.ReadyState == DataChannelReadyState.Open, Limit, "the answerer's channel open");
        var atOfferer = new Inbox(fromAnswerer);
        answererEarly.Send("from the answerer");
        Assert.Equal("from the answerer", atOfferer.Take().Text);
    }

    [Fact(Timeout = 20_000)]
    public async Task AChannelCreatedAfterConnectingOpensWithoutRenegotiation()
    {
        await using var pair = new LoopbackPair();
        await IceLoopbackTests.ConnectWithChannel(pair, "first");
        var needed = 0;
        pair.Offerer.OnNegotiationNeeded += () => Interlocked.Increment(ref needed);
        pair.Answerer.OnNegotiationNeeded += () => Interlocked.Increment(ref needed);
        var (late, theirs) = await pair.OpenChannelAsync("late");
        var (fromAnswerer, atOfferer) = await pair.OpenChannelAsync("late-answerer", pair.Answerer);
        var inbox = new Inbox(theirs);
        late.Send("late but fine");
        Assert.Equal("late but fine", inbox.Take().Text);
        var other = new Inbox(atOfferer);
        fromAnswerer.Send("me too");
        Assert.Equal("me too", other.Take().Text);
        Assert.Equal(SignalingState.Stable, pair.Offerer.SignalingState);
        await Task.Delay(100);
        Assert.Equal(0, Volatile.Read(ref needed));
        // Stream ids follow the DTLS role parity (RFC 8832 6): the two creators picked ids of different parity.
        Assert.NotEqual(late.Id!.Value % 2, fromAnswerer.Id!.Value % 2);
    }
}
