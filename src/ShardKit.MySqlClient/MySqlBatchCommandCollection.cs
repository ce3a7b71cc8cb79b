using System.Collections;
using System.Data.Common;

namespace ShardKit.MySqlClient;

/// <summary>The statements of a <see cref="MySqlBatch"/>.</summary>
public sealed class MySqlBatchCommandCollection : DbBatchCommandCollection
{
    private readonly List<MySqlBatchCommand> _commands = [];

    internal MySqlBatchCommandCollection()
    {
    }

    /// <inheritdoc />
    public override int Count => _commands.Count;

    /// <inheritdoc />
    public override bool IsReadOnly => false;

    /// <summary>Gets or sets the command at an index.</summary>
    public new MySqlBatchCommand this[int index]
    {
        get => _commands[index];
        set => _commands[index] = value;
    }

    /// <inheritdoc />
    public override void Add(DbBatchCommand item) => _commands.Add(Cast(item));

    /// <inheritdoc />
    public override void Clear() => _commands.Clear();

    /// <inheritdoc />
    public override bool Contains(DbBatchCommand item) => item is MySqlBatchCommand c && _commands.Contains(c);

    /// <inheritdoc />
    public override void CopyTo(DbBatchCommand[] array, int arrayIndex)
    {
        ArgumentNullException.ThrowIfNull(array);
        for (var i = 0; i < _commands.Count; i++)
        {
            array[arrayIndex + i] = _commands[i];
        }
    }

    /// <inheritdoc />
    public override IEnumerator<DbBatchCommand> GetEnumerator() => _commands.GetEnumerator();

    /// <inheritdoc />
    public override int IndexOf(DbBatchCommand item) => item is MySqlBatchCommand c ? _commands.IndexOf(c) : -1;

    /// <inheritdoc />
    public override void Insert(int index, DbBatchCommand item) => _commands.Insert(index, Cast(item));

    /// <inheritdoc />
    public override bool Remove(DbBatchCommand item) => item is MySqlBatchCommand c && _commands.Remove(c);

    /// <inheritdoc />
    public override void RemoveAt(int index) => _commands.RemoveAt(index);

    /// <inheritdoc />
    protected override DbBatchCommand GetBatchCommand(int index) => _commands[index];

    /// <inheritdoc />
    protected override void SetBatchCommand(int index, DbBatchCommand batchCommand) => _commands[index] = Cast(batchCommand);

    private static MySqlBatchCommand Cast(DbBatchCommand item) => item as MySqlBatchCommand
        ?? throw new ArgumentException($"Only MySqlBatchCommand objects can be added, not {item?.GetType().Name ?? "null"}.", nameof(item));
}
