
namespace Functional.WebRtc.Tests.Connection;

public class SlowReaderTests
{
    /// <summary>
    /// A reader that takes its time never blocks the connection's loop: the sender is slowed through the SCTP receive
    /// window (its bufferedAmount grows), the connection keeps answering API calls, and every message arrives in order.
    /// </summary>
    [Fact]
    public async Task SlowReaderSlowsTheSenderButNotTheLoopAndLosesNothing()
    {
        await using var pair = new LoopbackPair();
        var channel = pair.Offerer.CreateDataChannel("slow");
        var remote = new TaskCompletionSource<DataChannel>(TaskCreationOptions.RunContinuationsAsynchronously);
        pair.Answerer.OnDataChannel += remote.SetResult;
        await pair.NegotiateAsync();
        var theirs = await remote.Task.WaitAsync(TimeSpan.FromSeconds(15));
        await LoopbackPair.WaitForAsync(() => channel.ReadyState == DataChannelReadyState.Open, TimeSpan.FromSeconds(10), "open");

        var received = new List<int>();
        var release = new ManualResetEventSlim(false);
        theirs.OnMessage += m =>
        {
            release.Wait(TimeSpan.FromSeconds(20)); // the reader is stuck until we let it go
            lock (received) received.Add(BitConverter.ToInt32(m.Data));
        };
        const int Count = 64; // 64 x 64 KiB = 4 MiB: more than the 1 MiB receive window
        var payload = new byte[64 * 1024];
        for (var i = 0; i < Count; i++)
        {
            BitConverter.TryWriteBytes(payload, i);
            channel.Send(payload);
        }
        // The receiver's window is full: the sender still holds most of the data.
        await LoopbackPair.WaitForAsync(() => channel.BufferedAmount > 2L * 1024 * 1024, TimeSpan.FromSeconds(5), "back-pressure");
        await Task.Delay(300);
        Assert.True(channel.BufferedAmount > 2L * 1024 * 1024, $"buffered {channel.BufferedAmount}");
        // The loops of both connections still answer while the reader is stuck.
        var offer = await pair.Answerer.CreateOfferAsync().WaitAsync(TimeSpan.FromSeconds(2));
        Assert.Contains("m=application", offer.Sdp);
        release.Set();
        await LoopbackPair.WaitForAsync(() => { lock (received) return received.Count == Count; }, TimeSpan.FromSeconds(20), "all messages");
        lock (received) Assert.Equal(Enumerable.Range(0, Count), received);
    }
}
