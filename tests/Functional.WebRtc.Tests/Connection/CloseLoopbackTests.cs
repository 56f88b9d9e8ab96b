using System.Diagnostics;
using System.Reflection;
using Functional.WebRtc.Core.DataChannels;
using Functional.WebRtc.Transport.Dtls;

namespace Functional.WebRtc.Tests.Connection;

/// <summary>Tests that count the process's threads and sockets: they run alone, after the parallel tests.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ResourceCountingCollection
{
    public const string Name = "resource counting (not parallel)";
}

/// <summary>Close of two connected PeerConnections: nothing left behind, idempotent, and calls after it fail.</summary>
[Collection(ResourceCountingCollection.Name)]
public class CloseLoopbackTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(10);

    /// <summary>Threads that are not the thread pool's (the pool grows and shrinks on its own schedule).</summary>
    private static int DedicatedThreads()
    {
        using var process = Process.GetCurrentProcess();
        return process.Threads.Count - ThreadPool.ThreadCount;
    }

    /// <summary>Open sockets of this process (UDP or otherwise), from /proc/self/fd.</summary>
    private static int Sockets()
    {
        var n = 0;
        foreach (var fd in Directory.EnumerateFileSystemEntries("/proc/self/fd"))
        {
            try
            {
                if (new FileInfo(fd).LinkTarget is { } target && target.StartsWith("socket:", StringComparison.Ordinal)) n++;
            }
            catch (IOException) { } // the fd closed while we looked
            catch (UnauthorizedAccessException) { }
        }
        return n;
    }

    private static T? Field<T>(PeerConnection pc, string name) =>
        (T?)typeof(PeerConnection).GetField(name, BindingFlags.NonPublic | BindingFlags.Instance)!.GetValue(pc);

    [Fact(Timeout = 20_000)]
    public async Task CloseMidTransferLeavesNoThreadsSocketsOrTimers()
    {
        // Warm up once so that runtime-wide threads (socket engine, timers) and the pool exist before we count.
        await using (var warm = new LoopbackPair()) await IceLoopbackTests.ConnectWithChannel(warm);
        await LoopbackPair.WaitForAsync(() => DtlsEndpoint.LiveThreads == 0, Limit, "the warm-up's DTLS threads to end");
        var threadsBefore = DedicatedThreads();
        var socketsBefore = Sockets();

        var pair = new LoopbackPair();
        var (local, remote) = await IceLoopbackTests.ConnectWithChannel(pair);
        Assert.True(Sockets() >= socketsBefore + 2, "each connection holds a UDP socket");
        // Connected with AES-GCM: the DTLS handshake threads end once connected (our record layer needs none).
        await LoopbackPair.WaitForAsync(() => DtlsEndpoint.LiveThreads == 0, Limit, () => $"{DtlsEndpoint.LiveThreads} DTLS threads while connected");
        var received = 0L;
        remote.OnMessage += m => Interlocked.Add(ref received, m.Data.Length);
        var message = new byte[64 * 1024];
        var sent = 0;
        var stop = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        var sender = Task.Run(async () =>
        {
            while (DateTime.UtcNow < stop)
            {
                if (local.ReadyState == DataChannelReadyState.Closed) return;
                if (local.BufferedAmount > 1024 * 1024) { await Task.Delay(1); continue; }
                try { local.Send(message); sent++; }
                catch (InvalidStateException) { return; } // closed under us: the expected way out
            }
        });
        await LoopbackPair.WaitForAsync(() => Interlocked.Read(ref received) >= 2 * 1024 * 1024, Limit, "2 MiB transferred");
        Assert.False(sender.IsCompleted);

        pair.Offerer.Close();
        pair.Answerer.Close();
        await sender.WaitAsync(Limit); // ends by the InvalidStateException, not by its clock
        Assert.True(DateTime.UtcNow < stop, "the sender stopped because of Close");
        Assert.True(sent > 32);

        Assert.Equal(PeerConnectionState.Closed, pair.Offerer.ConnectionState);
        Assert.Equal(PeerConnectionState.Closed, pair.Answerer.ConnectionState);
        Assert.Equal(DataChannelReadyState.Closed, local.ReadyState);
        Assert.Equal(DataChannelReadyState.Closed, remote.ReadyState);
        foreach (var pc in new[] { pair.Offerer, pair.Answerer })
        {
            Assert.Null(Field<Timer>(pc, "_timer"));
            Assert.True(Field<bool>(pc, "_transportClosed"));
            Assert.True(Field<Task>(pc, "_loop")!.IsCompleted, "the connection's loop ended");
            Assert.Null(pc.SelectedCandidatePair);
        }
        Assert.Equal(0, DtlsEndpoint.LiveThreads);
        await LoopbackPair.WaitForAsync(() => Sockets() <= socketsBefore, Limit, () => $"sockets back to {socketsBefore} (now {Sockets()})");
        await LoopbackPair.WaitForAsync(() => DedicatedThreads() <= threadsBefore, Limit,
            () => $"dedicated threads back to {threadsBefore} (now {DedicatedThreads()})");
        await pair.DisposeAsync(); // a third close, harmless
    }

    [Fact(Timeout = 20_000)]
    public async Task CloseIsIdempotentAndLaterCallsThrowInvalidState()
    {
        var pair = new LoopbackPair();
        var (local, remote) = await IceLoopbackTests.ConnectWithChannel(pair);
        var remoteClosed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        remote.OnClose += () => remoteClosed.TrySetResult();
        var pc = pair.Offerer;
        var states = new System.Collections.Concurrent.ConcurrentQueue<PeerConnectionState>();
        pc.OnConnectionStateChange += states.Enqueue;
        pc.Close();
        pc.Close();
        await pc.CloseAsync();
        pc.Dispose();
        Assert.Equal(PeerConnectionState.Closed, pc.ConnectionState);
        Assert.Equal(SignalingState.Closed, pc.SignalingState);
        Assert.Equal(DataChannelReadyState.Closed, local.ReadyState);

        await Assert.ThrowsAsync<InvalidStateException>(() => pc.CreateOfferAsync());
        Assert.Throws<InvalidStateException>(() => pc.CreateOffer());
        await Assert.ThrowsAsync<InvalidStateException>(() => pc.CreateAnswerAsync());
        await Assert.ThrowsAsync<InvalidStateException>(() => pc.SetLocalDescriptionAsync(pair.Answerer.LocalDescription!));
        await Assert.ThrowsAsync<InvalidStateException>(() => pc.SetRemoteDescriptionAsync(pair.Answerer.LocalDescription!));
        await Assert.ThrowsAsync<InvalidStateException>(() => pc.AddIceCandidateAsync(new IceCandidateInit("candidate:1 1 udp 1 127.0.0.1 9 typ host")));
        Assert.Throws<InvalidStateException>(() => pc.CreateDataChannel("after close"));
        Assert.Throws<InvalidStateException>(() => pc.AddTransceiverFromKind(MediaKind.Audio));
        Assert.Throws<InvalidStateException>(() => local.Send("after close"));

        // The peer notices (SCTP shuts down: its channel closes) and can be closed too.
        await remoteClosed.Task.WaitAsync(Limit);
        Assert.Equal(DataChannelReadyState.Closed, remote.ReadyState);
        await pair.Answerer.CloseAsync();
        await pair.Answerer.CloseAsync();
        Assert.Equal(PeerConnectionState.Closed, pair.Answerer.ConnectionState);
        await LoopbackPair.WaitForAsync(() => DtlsEndpoint.LiveThreads == 0, Limit, "DTLS threads to end");
    }

    [Fact(Timeout = 20_000)]
    public async Task CloseFromInsideAnEventHandlerDoesNotDeadlock()
    {
        var pair = new LoopbackPair();
        var (local, remote) = await IceLoopbackTests.ConnectWithChannel(pair);
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        remote.OnMessage += _ =>
        {
            pair.Answerer.Close(); // on the answerer's own callback queue
            closed.TrySetResult();
        };
        local.Send("close now");
        await closed.Task.WaitAsync(Limit);
        Assert.Equal(PeerConnectionState.Closed, pair.Answerer.ConnectionState);
        await pair.Offerer.CloseAsync().WaitAsync(Limit);
        await LoopbackPair.WaitForAsync(() => DtlsEndpoint.LiveThreads == 0, Limit, "DTLS threads to end");
    }

    [Fact(Timeout = 20_000)]
    public async Task ClosingAConnectionThatNeverNegotiatedIsClean()
    {
        var socketsBefore = Sockets();
        var pc = new PeerConnection();
        pc.CreateDataChannel("x");
        await pc.SetLocalDescriptionAsync(await pc.CreateOfferAsync());
        await pc.GatheringComplete.WaitAsync(Limit);
        Assert.True(Sockets() > socketsBefore);
        await pc.CloseAsync();
        Assert.Null(Field<Timer>(pc, "_timer"));
        await LoopbackPair.WaitForAsync(() => Sockets() <= socketsBefore, Limit, "the socket released");
        await Assert.ThrowsAsync<InvalidStateException>(() => pc.CreateOfferAsync());
    }
}
