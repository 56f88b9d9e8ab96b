using Functional.WebRtc.Core.DataChannels;

namespace Functional.WebRtc.Tests.Connection;

public class LoopbackConnectionTests
{
    [Fact]
    public async Task TwoPeerConnectionsConnectAndExchangeDataChannelMessages()
    {
        await using var pair = new LoopbackPair();
        var channel = pair.Offerer.CreateDataChannel("chat");
        var remote = new TaskCompletionSource<DataChannel>(TaskCreationOptions.RunContinuationsAsynchronously);
        pair.Answerer.OnDataChannel += remote.SetResult;
        await pair.NegotiateAsync();
        await LoopbackPair.WaitForAsync(() => pair.Offerer.ConnectionState == PeerConnectionState.Connected &&
                                              pair.Answerer.ConnectionState == PeerConnectionState.Connected,
            TimeSpan.FromSeconds(15), "connected");
        var theirs = await remote.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("chat", theirs.Label);
        await LoopbackPair.WaitForAsync(() => channel.ReadyState == DataChannelReadyState.Open, TimeSpan.FromSeconds(10), "open");
        var inbox = new Inbox(theirs);
        var back = new Inbox(channel);
        channel.Send("hello");
        Assert.Equal("hello", inbox.Take().Text);
        theirs.Send(new byte[] { 1, 2, 3 });
        var reply = back.Take();
        Assert.False(reply.IsString);
        Assert.Equal(new byte[] { 1, 2, 3 }, reply.Data);
        Assert.NotNull(pair.Offerer.SelectedCandidatePair);
        Assert.Contains("127.0.0.1", pair.Offerer.SelectedCandidatePair!.Value.Local);
    }
}
