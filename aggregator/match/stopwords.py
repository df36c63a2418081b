"""Function words of German and English, folded (ä→ae, ß→ss) as `text.fold` produces them."""

GERMAN = """
aber alle allem allen aller alles als also am an ander andere anderem anderen anderer anderes
auch auf aus bei beim bin bis bist da dabei dadurch dafuer dagegen daher damit dann darauf
darin darum das dass dem den denn der des deshalb dessen die dies diese diesem diesen dieser
dieses doch dort du durch ein eine einem einen einer eines einige einigen einmal er es etwa
etwas euch euer fuer gegen gewesen hab habe haben hat hatte hatten hier hin hinter ich ihm
ihn ihnen ihr ihre ihrem ihren ihrer ihres im in indem ins ist ja jede jedem jeden jeder
jedes jetzt kann kein keine keinem keinen keiner koennen koennte machen man manche mehr mein
meine mit muss musste nach nachdem nicht nichts noch nun nur ob oder ohne schon sehr sein
seine seinem seinen seiner seit sich sie sind so soll sollen sollte sondern sowie ueber um
und uns unser unter viel vom von vor waehrend war waren warum was weil welche welchem welchen
welcher welches wenn wer werde werden wie wieder will wir wird wo wurde wurden zu zum zur
zwischen gibt geht neue neuen neuer neues heute gestern morgen jahr jahre jahren uhr mal
sei seien wegen etwa rund laut bereits sowie erst weitere weiteren ab beim
"""

ENGLISH = """
a about after again against all also am an and any are as at be because been before being
between both but by can could did do does doing down during each few for from further had
has have having he her here hers him his how i if in into is it its itself just me more most
my no nor not now of off on once only or other our out over own same she should so some such
than that the their them then there these they this those through to too under until up
very was we were what when where which while who whom why will with would you your says say
said new over amid after vs via
"""

STOPWORDS = frozenset(GERMAN.split()) | frozenset(ENGLISH.split())
