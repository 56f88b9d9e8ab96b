namespace Functional.WebRtc.Core.Sctp;

/// <summary>A growable ring buffer (deque without push-front): the send queue and the retransmission queue.</summary>
internal sealed class Ring<T>
{
    private T[] _items = new T[16];
    private int _head;
    public int Count { get; private set; }

    public T this[int index] => _items[(_head + index) & (_items.Length - 1)];
    public T First => _items[_head];

    public void PushBack(T item)
    {
        if (Count == _items.Length)
        {
            var bigger = new T[_items.Length * 2];
            for (var i = 0; i < Count; i++) bigger[i] = this[i];
            _items = bigger; _head = 0;
        }
        _items[(_head + Count) & (_items.Length - 1)] = item;
        Count++;
    }

    public T PopFront()
    {
        var item = _items[_head];
        _items[_head] = default!;
        _head = (_head + 1) & (_items.Length - 1);
        Count--;
        return item;
    }

    public void Clear()
    {
        Array.Clear(_items);
        _head = 0; Count = 0;
    }
}
