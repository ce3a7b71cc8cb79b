using System.Data;
using System.Data.Common;
using System.Diagnostics.CodeAnalysis;

namespace ShardKit.MySqlClient;

/// <summary>One statement of a <see cref="MySqlBatch"/>, with its own parameters.</summary>
public sealed class MySqlBatchCommand : DbBatchCommand
{
    private CommandType _commandType = CommandType.Text;

    /// <summary>Creates an empty batch command.</summary>
    public MySqlBatchCommand()
    {
    }

    /// <summary>Creates a batch command with SQL text.</summary>
    public MySqlBatchCommand(string? commandText)
    {
        CommandText = commandText;
    }

    /// <inheritdoc />
    [AllowNull]
    public override string CommandText { get; set; } = "";

    /// <summary>Only <see cref="CommandType.Text"/> is supported.</summary>
    public override CommandType CommandType
    {
        get => _commandType;
        set => _commandType = value == CommandType.Text
            ? value
            : throw new ArgumentException($"CommandType {value} is not supported; use CommandType.Text.", nameof(value));
    }

    /// <summary>Rows changed by this statement in the last execution (-1 for statements that return rows).</summary>
    public override int RecordsAffected => RecordsAffectedValue;

    internal int RecordsAffectedValue { get; set; } = -1;

    /// <summary>The statement's parameters.</summary>
    public new MySqlParameterCollection Parameters { get; } = new();

    /// <inheritdoc />
    protected override DbParameterCollection DbParameterCollection => Parameters;

    /// <inheritdoc />
    public override bool CanCreateParameter => true;

    /// <inheritdoc />
    public override DbParameter CreateParameter() => new MySqlParameter();
}
