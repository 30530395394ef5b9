package engine

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"math/big"
	"regexp"
	"strings"

	"github.com/berthproject/berth/errdefs"
)

// validName is dockerd's container name rule, except that one-character
// names are allowed: dockerd's pattern ([a-zA-Z0-9][a-zA-Z0-9_.-]+) demands
// two characters, while users (and issue #3's `--name s`) expect any name.
var validName = regexp.MustCompile(`^/?[a-zA-Z0-9][a-zA-Z0-9_.-]*$`)

// newID returns a 64-hex-digit random ID, as dockerd's.
func newID() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on linux
	}
	return hex.EncodeToString(b[:])
}

// shortID is the 12-digit form shown by the CLI.
func shortID(id string) string {
	id = strings.TrimPrefix(id, "sha256:")
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// checkName validates a user-given name and returns it in "/name" form.
func checkName(name string) (string, error) {
	if !validName.MatchString(name) {
		return "", errdefs.Errorf(errdefs.ErrInvalidArgument, "Invalid container name (%s), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed", name)
	}
	return "/" + strings.TrimPrefix(name, "/"), nil
}

// Word lists for generated names, in the style of docker's namesgenerator.
var (
	adjectives = strings.Fields(`admiring adoring affectionate agitated amazing angry awesome beautiful blissful bold
		boring brave busy charming clever compassionate competent condescending confident cool cranky crazy dazzling
		determined distracted dreamy eager ecstatic elastic elated elegant eloquent epic exciting fervent festive
		flamboyant focused friendly frosty funny gallant gifted goofy gracious great happy hardcore heuristic hopeful
		hungry infallible inspiring intelligent interesting jolly jovial keen kind laughing loving lucid magical
		modest musing mystifying naughty nervous nice nifty nostalgic objective optimistic peaceful pedantic pensive
		practical priceless quirky quizzical recursing relaxed reverent romantic sad serene sharp silly sleepy stoic
		strange stupefied suspicious sweet tender thirsty trusting unruffled upbeat vibrant vigilant vigorous
		wizardly wonderful xenodochial youthful zealous zen`)
	surnames = strings.Fields(`albattani allen almeida agnesi archimedes ardinghelli aryabhata austin babbage banach
		bardeen bartik bassi beaver bell benz bhabha bhaskara black blackburn blackwell bohr booth borg bose boyd
		brahmagupta brattain brown buck burnell cannon carson cartwright carver cerf chandrasekhar chaplygin chatelet
		chatterjee chebyshev cohen chaum clarke colden cori cray curran curie darwin davinci dewdney dhawan diffie
		dijkstra dirac driscoll dubinsky easley edison einstein elbakyan elgamal elion ellis engelbart euclid euler
		faraday feistel fermat fermi feynman franklin gagarin galileo galois ganguly gates gauss germain goldberg
		goldstine goldwasser golick goodall gould greider grothendieck haibt hamilton haslett hawking hellman
		heisenberg hermann herschel hertz heyrovsky hodgkin hofstadter hoover hopper hugle hypatia ishizaka jackson
		jang jemison jennings jepsen johnson joliot jones kalam kapitsa kare keldysh keller kepler khayyam khorana
		kilby kirch knuth kowalevski lalande lamarr lamport leakey leavitt lederberg lehmann lewin lichterman
		liskov lovelace lumiere mahavira margulis matsumoto maxwell mayer mccarthy mcclintock mclaren mclean
		mcnulty meitner mendel mendeleev meninsky merkle mestorf mirzakhani montalcini moore morse moser murdock
		napier nash neumann newton nightingale nobel noether northcutt noyce panini pare pascal pasteur payne
		perlman pike poincare poitras proskuriakova ptolemy raman ramanujan rhodes ride ritchie robinson roentgen
		rosalind rubin saha sammet sanderson satoshi shamir shannon shaw shirley shockley shtern sinoussi snyder
		solomon spence stonebraker sutherland swanson swartz swirles taussig tesla tharp thompson torvalds tu
		turing varahamihira vaughan villani visvesvaraya volhard wescoff wilbur wiles williams williamson wilson
		wing wozniak wright wu yalow yonath zhukovsky`)
)

// randomName returns a docker-style "adjective_surname" name.
func randomName(retry int) string {
	name := pick(adjectives) + "_" + pick(surnames)
	if retry > 0 {
		name = fmt.Sprintf("%s%d", name, retry)
	}
	return "/" + name
}

func pick(words []string) string {
	n, err := rand.Int(rand.Reader, big.NewInt(int64(len(words))))
	if err != nil {
		panic(err)
	}
	return words[n.Int64()]
}
