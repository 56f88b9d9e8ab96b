using Functional.WebRtc.Tests.Connection;

namespace Functional.WebRtc.Tests.Parity;

/// <summary>DataChannel.Detach (Pion's detached data channels) between two PeerConnections over 127.0.0.1.</summary>
public class DetachTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(10);

    private static async Task<(LoopbackPair Pair, DataChannel Local, DataChannel Remote)> OpenAsync(string label)
    {
        var pair = new LoopbackPair();
        pair.WatchIncoming();
        var local = pair.Offerer.CreateDataChannel(label);
        await pair.ConnectAsync(Limit);
        var remote = await pair.IncomingAsync(pair.Answerer, label);
        await LoopbackPair.WaitForAsync(() => local.ReadyState == DataChannelReadyState.Open &&
                                              remote.ReadyState == DataChannelReadyState.Open, Limit, $"{label} open");
        return (pair, local, remote);
    }

    [Fact]
    public async Task DetachedReadsGetWholeMessagesInOrderAndWritesReachThePeer()
    {
        var (pair, local, remote) = await OpenAsync("d");
        await using var _ = pair;
        var events = 0;
        remote.OnMessage += _ => Interlocked.Increment(ref events);
        var detached = remote.Detach();
        Assert.Same(detached, remote.Detach());
        Assert.Same(remote, detached.Channel);

        local.Send("text");
        local.Send(new byte[] { 1, 2, 3 });
        local.Send(Enumerable.Range(0, 1000).Select(i => (byte)i).ToArray());
        using var cancel = new CancellationTokenSource(Limit);
        var first = await detached.ReadMessageAsync(cancel.Token);
        Assert.True(first.IsString);
        Assert.Equal("text", first.Text);
        var buffer = new byte[3];
        Assert.Equal(3, await detached.ReadAsync(buffer, cancel.Token));
        Assert.Equal(new byte[] { 1, 2, 3 }, buffer);
        // Too small a buffer leaves the message for the next read (Pion's io.ErrShortBuffer).
        await Assert.ThrowsAsync<ArgumentException>(async () => await detached.ReadAsync(new byte[10], cancel.Token));
        var big = new byte[2000];
        Assert.Equal(1000, await detached.ReadAsync(big, cancel.Token));
        Assert.Equal(Enumerable.Range(0, 1000).Select(i => (byte)i), big.Take(1000));

        var back = new Inbox(local);
        detached.Write(new byte[] { 9, 8 });
        detached.WriteText("reply");
        Assert.Equal(new byte[] { 9, 8 }, back.Take().Data);
        Assert.Equal("reply", back.Take().Text);

        local.Close();
        Assert.Equal(0, await detached.ReadAsync(big, cancel.Token)); // end of stream once the peer closed
        await Assert.ThrowsAsync<InvalidStateException>(async () => await detached.ReadMessageAsync(cancel.Token));
        Assert.Equal(0, Volatile.Read(ref events));
        await LoopbackPair.WaitForAsync(() => local.ReadyState == DataChannelReadyState.Closed, Limit, "the local end closed");
        Assert.Throws<InvalidStateException>(() => local.Detach());
    }

    [Fact]
    public async Task AnUnreadDetachedChannelHoldsTheSenderBackUntilItIsRead()
    {
        var (pair, local, remote) = await OpenAsync("slow");
        await using var _ = pair;
        var detached = remote.Detach();
        const int count = 48, size = 64_000;
        var payload = new byte[size];
        for (var i = 0; i < count; i++) local.Send(payload);
        // Nothing is read: the 1 MiB receive window fills and about 2 MB stay queued at the sender.
        await Task.Delay(1000);
        Assert.True(local.BufferedAmount > 1_000_000, $"sender still holds {local.BufferedAmount} bytes");

        using var cancel = new CancellationTokenSource(Limit);
        long total = 0;
        var buffer = new byte[size];
        for (var i = 0; i < count; i++) total += await detached.ReadAsync(buffer, cancel.Token);
        Assert.Equal((long)count * size, total);
        await LoopbackPair.WaitForAsync(() => local.BufferedAmount == 0, Limit, "the sender drained");
    }
}
