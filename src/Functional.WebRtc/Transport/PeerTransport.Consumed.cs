using Functional.WebRtc.Core.DataChannels;

namespace Functional.WebRtc;

public sealed partial class PeerConnection
{
    /// <summary>Bytes the OnMessage handlers have consumed that the loop has not yet given back to SCTP.</summary>
    private long _consumedPending;

    /// <summary>
    /// From the callback queue, after an OnMessage handler returned: frees its bytes of the SCTP receive window. Only
    /// the first message after the loop last took the count posts to the loop; the others add to it, so a burst of
    /// messages costs one loop turn instead of one each.
    /// </summary>
    internal void Consumed(int bytes)
    {
        if (Interlocked.Add(ref _consumedPending, bytes) == bytes)
            PostChannel(new DataChannelInput.ConsumerReady(TimeSpan.Zero, 0));
    }

    /// <summary>On the loop: everything consumed so far (the input's own bytes plus the coalesced count).</summary>
    private DataChannelInput.ConsumerReady TakeConsumed(DataChannelInput.ConsumerReady cr) =>
        cr with { At = Now, Bytes = (int)Math.Min(int.MaxValue, cr.Bytes + Interlocked.Exchange(ref _consumedPending, 0)) };
}

public sealed partial class PeerConnection
{
    /// <summary>Sends from the application on their way to the loop, in order; one SendDrainWork at a time takes them all.</summary>
    private readonly System.Collections.Concurrent.ConcurrentQueue<DataChannelInput.Send> _sendQueue = new();
    private int _sendDrainPosted;
    private const int MaxSendBatch = 1024;

    private sealed record SendDrainWork : Work;

    /// <summary>
    /// DataChannel.Send: queues the message; only the first send since the loop last drained the queue posts to it,
    /// so a burst of sends is one loop turn and one SCTP flush (its messages share packets). False once the loop is gone.
    /// </summary>
    internal bool PostSend(DataChannelInput.Send send)
    {
        _sendQueue.Enqueue(send);
        if (Interlocked.Exchange(ref _sendDrainPosted, 1) != 0 || _inbox.Writer.TryWrite(new SendDrainWork())) return true;
        Volatile.Write(ref _sendDrainPosted, 0); // the loop has ended: later sends must find out too
        return false;
    }

    /// <summary>On the loop: every queued send as one batch, with the bufferedAmountLow bookkeeping of each channel.</summary>
    private void DrainSends()
    {
        // A full fence (not a release write): the queue must be read after the flag is clear, or a send enqueued in between
        // would see the flag still set, post nothing, and wait for the next send (store-load reordering).
        Interlocked.Exchange(ref _sendDrainPosted, 0);
        if (_sendQueue.IsEmpty) return;
        var batch = new List<DataChannelInput.Send>();
        // At most MaxSendBatch per loop turn, so a sender that never pauses cannot hold the loop; the rest is another turn.
        while (batch.Count < MaxSendBatch && _sendQueue.TryDequeue(out var send))
            if (!_transportClosed) batch.Add(send with { At = Now });
        if (!_sendQueue.IsEmpty && Interlocked.Exchange(ref _sendDrainPosted, 1) == 0) _inbox.Writer.TryWrite(new SendDrainWork());
        if (batch.Count == 0) return;
        // bufferedAmount before the batch, read once all of it is dequeued and still counted as unsent: the application
        // may have seen it this high while the queue was being drained (it only grows until Sent below).
        var before = new Dictionary<DataChannel, long>();
        foreach (var send in batch)
            if (_channelsByHandle.TryGetValue(send.Handle, out var sender) && !before.ContainsKey(sender))
                before[sender] = sender.BufferedAmount;
        foreach (var send in batch)
            if (_channelsByHandle.TryGetValue(send.Handle, out var sender)) sender.Sent(send.Data.Length);
        var outputs = RunChannels(batch.Count == 1 ? batch[0] : new DataChannelInput.SendBatch(Now, batch));
        // W3C 6.2: bufferedAmount grew by the messages at Send; messages SCTP puts on the wire at once still take it
        // from above the threshold to below, which the SCTP machine (that never saw them queued) cannot tell.
        foreach (var (sender, totalBefore) in before)
            if (totalBefore > sender.BufferedAmountLowThreshold && sender.BufferedAmount <= sender.BufferedAmountLowThreshold &&
                !outputs.Exists(o => o is DataChannelOutput.BufferedAmountLow b && b.Handle == sender.Handle))
                sender.BufferedAmountLow();
    }
}
