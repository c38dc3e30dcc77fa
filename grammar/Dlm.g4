// The .dlm model language. Specification: docs/language.md.
//
// Statements need no terminator: every statement starts with a keyword or `name =`, and no
// expression can continue with an identifier, so line breaks are not significant. A `;` may
// separate statements on one line.
grammar Dlm;

file
    : (importDecl | decl | SEMI)* EOF
    ;

importDecl
    : IMPORT modulePath (DOT LBRACE importItem (COMMA importItem)* COMMA? RBRACE | DOT STAR)?
    ;

modulePath
    : ident (DOT ident)*
    ;

importItem
    : ident (AS ident)?
    ;

decl
    : modelDecl
    | fnDecl
    | trainDecl
    ;

modelDecl
    : MODEL ident paramList? LBRACE stmt* RBRACE
    ;

fnDecl
    : FN ident paramList (ARROW typeExpr)? (ASSIGN expr | LBRACE stmt* RBRACE)
    ;

trainDecl
    : TRAIN ident LBRACE (setting | SEMI)* RBRACE
    ;

setting
    : ident ASSIGN expr (THEN expr)*
    ;

paramList
    : LPAREN (paramSpec (COMMA paramSpec)* COMMA?)? RPAREN
    ;

paramSpec
    : ident (COLON typeExpr)? (ASSIGN expr)?
    ;

// f32[B, 1, 28, 28], f32[..., in], f32[] (a scalar), int, float, bool, string
typeExpr
    : ident (LBRACK (dimExpr (COMMA dimExpr)*)? RBRACK)?
    ;

dimExpr
    : ELLIPSIS
    | expr
    ;

stmt
    : LET ident (COLON typeExpr)? ASSIGN expr                       # letStmt
    | kind=(PARAM | BUFFER) ident COLON typeExpr (ASSIGN expr)?     # paramStmt
    | FORWARD paramList (ARROW resultList)? block                   # forwardStmt
    | RETURN (expr | LPAREN expr (COMMA expr)+ COMMA? RPAREN)       # returnStmt
    | ASSERT expr (COMMA expr)?                                     # assertStmt
    | IF expr block (ELSE (ifTail | block))?                        # ifStmt
    | FOR ident IN expr block                                       # forStmt
    | ident ASSIGN expr                                             # assignStmt
    | SEMI                                                          # emptyStmt
    ;

// `-> f32[B, 10]`, `-> logits: f32[B, 10]`, or several named results `-> (logits: f32[B, 10], probs: f32[B, 10])`
resultList
    : (ident COLON)? typeExpr
    | LPAREN resultSpec (COMMA resultSpec)* COMMA? RPAREN
    ;

resultSpec
    : ident COLON typeExpr
    ;

ifTail
    : IF expr block (ELSE (ifTail | block))?
    ;

block
    : LBRACE stmt* RBRACE
    ;

expr
    : primary                                                       # primaryExpr
    | expr DOT ident                                                # memberExpr
    | expr LPAREN (arg (COMMA arg)* COMMA?)? RPAREN                 # callExpr
    | expr LBRACK index (COMMA index)* COMMA? RBRACK                # indexExpr
    | <assoc = right> expr POW expr                                 # powExpr
    | op=(MINUS | PLUS) expr                                        # unaryExpr
    | expr op=(STAR | SLASH | PERCENT | AT) expr                    # mulExpr
    | expr op=(PLUS | MINUS) expr                                   # addExpr
    | expr DOTDOT expr                                              # rangeExpr
    | expr op=(EQ | NE | LT | LE | GT | GE) expr                    # cmpExpr
    | NOT expr                                                      # notExpr
    | expr AND expr                                                 # andExpr
    | expr OR expr                                                  # orExpr
    | IF expr THEN expr ELSE expr                                   # ifExpr
    ;

primary
    : INT                                                           # intLit
    | FLOAT                                                         # floatLit
    | STRING                                                        # stringLit
    | TRUE                                                          # trueLit
    | FALSE                                                         # falseLit
    | NONE                                                          # noneLit
    | ident                                                         # nameRef
    | LPAREN expr RPAREN                                            # parenExpr
    | LBRACK expr FOR ident IN expr (IF expr)? RBRACK               # listComp
    | LBRACK (expr (COMMA expr)* COMMA?)? RBRACK                    # listLit
    ;

arg
    : (ident ASSIGN)? expr
    ;

// x[0], x[:, 1:3], x[::2]
index
    : expr                                                          # pointIndex
    | lo=expr? COLON hi=expr? (COLON step=expr?)?                   # sliceIndex
    ;

// `in` is a keyword only after `for x`; elsewhere it names things (Linear(in: int, out: int)).
ident
    : IDENT
    | IN
    ;

IMPORT  : 'import';
AS      : 'as';
MODEL   : 'model';
FN      : 'fn';
TRAIN   : 'train';
LET     : 'let';
PARAM   : 'param';
BUFFER  : 'buffer';
FORWARD : 'forward';
RETURN  : 'return';
ASSERT  : 'assert';
IF      : 'if';
THEN    : 'then';
ELSE    : 'else';
FOR     : 'for';
IN      : 'in';
AND     : 'and';
OR      : 'or';
NOT     : 'not';
TRUE    : 'true';
FALSE   : 'false';
NONE    : 'none';

LPAREN   : '(';
RPAREN   : ')';
LBRACK   : '[';
RBRACK   : ']';
LBRACE   : '{';
RBRACE   : '}';
COMMA    : ',';
COLON    : ':';
SEMI     : ';';
ELLIPSIS : '...';
DOTDOT   : '..';
DOT      : '.';
ARROW    : '->';
EQ       : '==';
NE       : '!=';
LE       : '<=';
GE       : '>=';
LT       : '<';
GT       : '>';
ASSIGN   : '=';
POW      : '**';
STAR     : '*';
SLASH    : '/';
PERCENT  : '%';
AT       : '@';
PLUS     : '+';
MINUS    : '-';

// 1.5, 1e-3, 2.5E+4 ; never "1." so that 0..n is a range
FLOAT
    : DIGITS '.' DIGITS EXPONENT?
    | DIGITS EXPONENT
    ;

INT
    : DIGITS
    ;

STRING
    : '"' (~["\\\r\n] | '\\' ~[\r\n])* '"'
    ;

// a string that runs to the end of the line; reported as "unterminated string"
UNTERMINATED_STRING
    : '"' (~["\\\r\n] | '\\' ~[\r\n])*
    ;

IDENT
    : [a-zA-Z_] [a-zA-Z_0-9]*
    ;

LINE_COMMENT
    : '//' ~[\r\n]* -> skip
    ;

BLOCK_COMMENT
    : '/*' .*? '*/' -> skip
    ;

WS
    : [ \t\r\n\f]+ -> skip
    ;

// Anything else is one bad character; the parser reports it with its position.
BAD_CHAR
    : .
    ;

fragment DIGITS   : [0-9] ('_'? [0-9])*;
fragment EXPONENT : [eE] [+-]? [0-9]+;
